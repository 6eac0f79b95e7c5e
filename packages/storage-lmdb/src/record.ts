/**
 * What is stored: one LMDB record per key in the `records` database, holding version, expiry and
 * the codec's bytes together, so a write of all three is one atomic put.
 *
 * Key: the UTF-8 bytes of prefix + key. The kit accepts only well-formed Unicode keys, and UTF-8
 * is injective on those, so two distinct keys never share a stored key.
 *
 * Value:
 *   byte 0      format: 0x01 (no expiry) or 0x02 (expiry follows)
 *   bytes 1–8   version, float64 little-endian (every safe integer is exact)
 *   bytes 9–16  with 0x02: expiry, ms since the epoch, float64 little-endian
 *   then        the codec's bytes
 *
 * Expiry index (the `expiry` database, only for records with a TTL): key = expiry as 8 bytes
 * big-endian (so keys sort by time) followed by the record's key; empty value. The sweep walks it
 * from the start up to now.
 */
import { ConnectorError } from '@connector-kit/connector-core';

/** LMDB's longest key with the default 4 KiB page (the `lmdb` package's own limit). */
export const LMDB_MAX_KEY_BYTES = 1978;
/** The expiry index adds 8 bytes to the record's key. */
export const KEY_OVERHEAD_BYTES = 8;

export const FORMAT_PLAIN = 0x01;
export const FORMAT_EXPIRING = 0x02;
const HEADER_PLAIN = 9;
const HEADER_EXPIRING = 17;
/** Size of the header of a record with an expiry. */
export const EXPIRING_HEADER_BYTES = HEADER_EXPIRING;

export function encodeKey(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

/** The stored value: header and data in one buffer. `expiresAt` 0 means no expiry. */
export function encodeRecord(version: number, data: Uint8Array, expiresAt: number): Buffer {
  const header = expiresAt > 0 ? HEADER_EXPIRING : HEADER_PLAIN;
  const out = Buffer.allocUnsafe(header + data.byteLength);
  out[0] = expiresAt > 0 ? FORMAT_EXPIRING : FORMAT_PLAIN;
  out.writeDoubleLE(version, 1);
  if (expiresAt > 0) out.writeDoubleLE(expiresAt, 9);
  out.set(data, header);
  return out;
}

/**
 * lmdb's `getBinaryFast` returns a Buffer, except for large values (a plain Uint8Array over the
 * memory map): this gives a Buffer over the same bytes either way, copying nothing.
 */
export function asBuffer(stored: Uint8Array): Buffer {
  return Buffer.isBuffer(stored) ? stored : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
}

/**
 * Where the codec's bytes begin in a stored value (9, or 17 when an expiry is stored), checking
 * the format: CORRUPT for bytes this connector did not write.
 */
export function dataStart(stored: Buffer, key: string): number {
  const format = stored[0];
  const size = format === FORMAT_PLAIN ? HEADER_PLAIN : format === FORMAT_EXPIRING ? HEADER_EXPIRING : 0;
  if (size === 0 || stored.byteLength < size) {
    throw new ConnectorError(
      'CORRUPT',
      `The stored record of "${key}" is not in this connector's format (first byte ${String(format)}, ${stored.byteLength} bytes)`,
      { details: { key } },
    );
  }
  return size;
}

/** The stored version (after `dataStart` checked the format). */
export function versionOf(stored: Buffer): number {
  return stored.readDoubleLE(1);
}

/** True when the stored record carries an expiry that has passed (after `dataStart`). */
export function hasExpired(stored: Buffer, now: number): boolean {
  return stored[0] === FORMAT_EXPIRING && stored.readDoubleLE(9) <= now;
}

/** `hasExpired` at the current time, reading the clock only for a record that has an expiry. */
export function hasExpiredNow(stored: Buffer): boolean {
  return stored[0] === FORMAT_EXPIRING && stored.readDoubleLE(9) <= Date.now();
}

/** Key of a record's entry in the expiry index. */
export function expiryIndexKey(expiresAt: number, storedKey: Buffer): Buffer {
  const out = Buffer.allocUnsafe(KEY_OVERHEAD_BYTES + storedKey.byteLength);
  out.writeBigUInt64BE(BigInt(Math.ceil(expiresAt)), 0);
  storedKey.copy(out, KEY_OVERHEAD_BYTES);
  return out;
}

/** Upper bound of the index keys due at `now` (every key of an expiry <= now sorts before it). */
export function expiryIndexEnd(now: number): Buffer {
  const out = Buffer.allocUnsafe(KEY_OVERHEAD_BYTES);
  out.writeBigUInt64BE(BigInt(Math.floor(now) + 1), 0);
  return out;
}

/** The expiry and record key an index key holds. */
export function readExpiryIndexKey(indexKey: Uint8Array): { expiresAt: number; storedKey: Buffer } {
  const view = Buffer.from(indexKey.buffer, indexKey.byteOffset, indexKey.byteLength);
  return {
    expiresAt: Number(view.readBigUInt64BE(0)),
    storedKey: Buffer.from(view.subarray(KEY_OVERHEAD_BYTES)),
  };
}
