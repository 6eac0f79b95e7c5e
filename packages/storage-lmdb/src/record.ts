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

/** A stored record's header. `dataStart` is where the codec's bytes begin. */
export interface RecordHeader {
  version: number;
  /** 0: none. */
  expiresAt: number;
  dataStart: number;
}

/** Reads the header of a stored value; CORRUPT for bytes this connector did not write. */
export function readHeader(stored: Uint8Array, key: string): RecordHeader {
  const format = stored[0];
  const size = format === FORMAT_PLAIN ? HEADER_PLAIN : format === FORMAT_EXPIRING ? HEADER_EXPIRING : 0;
  if (size === 0 || stored.byteLength < size) {
    throw new ConnectorError(
      'CORRUPT',
      `The stored record of "${key}" is not in this connector's format (first byte ${String(format)}, ${stored.byteLength} bytes)`,
      { details: { key } },
    );
  }
  const view = Buffer.isBuffer(stored)
    ? stored
    : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  return {
    version: view.readDoubleLE(1),
    expiresAt: size === HEADER_EXPIRING ? view.readDoubleLE(9) : 0,
    dataStart: size,
  };
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
