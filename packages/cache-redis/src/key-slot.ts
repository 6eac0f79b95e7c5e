/**
 * Redis Cluster hash slot of a key, as the cluster specification defines it: CRC16 (XMODEM:
 * polynomial 0x1021, initial value 0) of the key's bytes modulo 16384, where a non-empty `{tag}`
 * (first `{`, then the first `}` after it) is hashed instead of the whole key.
 */
export const SLOT_COUNT = 16384;

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** Hash-tag boundaries inside `bytes`, or the whole range. */
function hashedRange(bytes: Uint8Array): [number, number] {
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return [open + 1, close];
  }
  return [0, bytes.length];
}

const NON_ASCII = /[\u0080-\uffff]/;
const scratch = Buffer.allocUnsafe(1024);

/** The slot of a key given as a JS string (UTF-8 encoded, as ioredis sends it). */
export function keySlot(key: string): number {
  let bytes: Uint8Array;
  if (key.length <= scratch.length && !NON_ASCII.test(key)) {
    // Common case without an allocation: ASCII bytes equal the char codes.
    const length = scratch.write(key, 0, 'latin1');
    bytes = scratch.subarray(0, length);
  } else {
    bytes = Buffer.from(key, 'utf8');
  }
  const [start, end] = hashedRange(bytes);
  return crc16(bytes, start, end) % SLOT_COUNT;
}
