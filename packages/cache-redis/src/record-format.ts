import { ConnectorError } from '@connector-kit/connector-core';

/**
 * The stored shape of one record: ONE Redis string, so that version and data are always written
 * together by a single SET (with PX for a TTL) and no reader can see one without the other.
 *
 *   byte 0       format marker, 0x01
 *   bytes 1..8   version, big-endian signed 64-bit integer
 *   bytes 9..    the codec's bytes (UTF-8 JSON by default)
 *
 * `GETRANGE key 0 8` reads the header alone, which is how head/headBulk avoid reading values.
 */
export const FORMAT_MARKER = 0x01;
export const HEADER_BYTES = 9;
/** The inclusive end offset for GETRANGE. */
export const HEADER_LAST_BYTE = HEADER_BYTES - 1;

const TWO_POW_32 = 2 ** 32;

function writeHeader(target: Buffer, version: number): void {
  target[0] = FORMAT_MARKER;
  // Split into high and low words: exact for every safe integer, negative ones included.
  target.writeInt32BE(Math.floor(version / TWO_POW_32), 1);
  target.writeUInt32BE(version >>> 0, 5);
}

/** The header alone: what compare-and-set compares against. */
export function encodeHeader(version: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  writeHeader(header, version);
  return header;
}

/** Header plus data, in one buffer, ready for SET. */
export function encodeRecord(version: number, data: Uint8Array): Buffer {
  const stored = Buffer.allocUnsafe(HEADER_BYTES + data.byteLength);
  writeHeader(stored, version);
  stored.set(data, HEADER_BYTES);
  return stored;
}

function corrupt(what: string): ConnectorError {
  return new ConnectorError('CORRUPT', `Stored Redis value is not a connector record (${what})`);
}

/** Reads the version from a stored value or a header; throws CORRUPT for foreign values. */
export function decodeVersion(stored: Buffer): number {
  if (stored.length < HEADER_BYTES) throw corrupt(`${stored.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  if (stored[0] !== FORMAT_MARKER) throw corrupt(`format marker 0x${stored[0]!.toString(16)}`);
  return stored.readInt32BE(1) * TWO_POW_32 + stored.readUInt32BE(5);
}

/** Splits a stored value into version and data (a view, not a copy). */
export function decodeRecord(stored: Buffer): { version: number; data: Buffer } {
  return { version: decodeVersion(stored), data: stored.subarray(HEADER_BYTES) };
}
