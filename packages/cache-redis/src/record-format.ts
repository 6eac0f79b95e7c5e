import { ConnectorError } from '@connector-kit/connector-core';

/**
 * The stored shape of one record: ONE Redis string, so that version and data are always written
 * together by a single SET (with PX for a TTL) and no reader can see one without the other.
 *
 *   v<version>:<data>
 *
 * `v`, the version in decimal ASCII (an integer, maybe negative), `:`, then the codec's bytes —
 * with the default JSON codec the whole value is readable text, e.g. `v12:{"name":"Ada"}`.
 * The header is at most HEADER_MAX_BYTES long, so `GETRANGE key 0 18` reads it without the data:
 * that is how head/headBulk avoid reading values.
 */
export const FORMAT_MARKER = 'v';
const MARKER_BYTE = 0x76; // v
const SEPARATOR_BYTE = 0x3a; // :
const MINUS_BYTE = 0x2d; // -
/** `v`, a sign and 16 digits (Number.MIN_SAFE_INTEGER), `:`. */
export const HEADER_MAX_BYTES = 19;
/** The inclusive end offset for GETRANGE. */
export const HEADER_LAST_BYTE = HEADER_MAX_BYTES - 1;

/** The header alone (what compare-and-set compares against). */
export function encodeHeader(version: number): string {
  return `${FORMAT_MARKER}${version}:`;
}

/** A record as one buffer, for SET. */
export function encodeRecord(version: number, data: Uint8Array): Buffer {
  const header = encodeHeader(version);
  const stored = Buffer.allocUnsafe(header.length + data.byteLength);
  stored.write(header, 0, 'latin1');
  stored.set(data, header.length);
  return stored;
}

function corrupt(stored: Buffer): ConnectorError {
  const preview = JSON.stringify(stored.subarray(0, 24).toString('latin1'));
  return new ConnectorError(
    'CORRUPT',
    `Stored Redis value is not a connector record (it starts with ${preview})`,
  );
}

/**
 * Parses the header at the start of `stored` (a whole value or a GETRANGE of it): the version and
 * where the data starts. Throws CORRUPT for values the connector did not write.
 */
export function decodeHeader(stored: Buffer): { version: number; dataStart: number } {
  if (stored.length < 3 || stored[0] !== MARKER_BYTE) throw corrupt(stored);
  const end = Math.min(stored.length, HEADER_MAX_BYTES);
  let i = 1;
  const negative = stored[i] === MINUS_BYTE;
  if (negative) i++;
  const firstDigit = i;
  let magnitude = 0;
  for (; i < end; i++) {
    const byte = stored[i]!;
    if (byte === SEPARATOR_BYTE) break;
    const digit = byte - 0x30;
    if (digit < 0 || digit > 9) throw corrupt(stored);
    magnitude = magnitude * 10 + digit;
  }
  if (i === firstDigit || i === end || !Number.isSafeInteger(magnitude)) throw corrupt(stored);
  return { version: negative ? -magnitude : magnitude, dataStart: i + 1 };
}

/** Splits a stored value into version and data (a view, not a copy). */
export function decodeRecord(stored: Buffer): { version: number; data: Buffer } {
  const { version, dataStart } = decodeHeader(stored);
  return { version, data: stored.subarray(dataStart) };
}
