import { isUtf8 } from 'node:buffer';
import {
  ConnectorError,
  jsonCodec,
  type Codec,
  type JsonValue,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';
import { MEMCACHED_MAX_KEY_BYTES } from './keys';

/**
 * The stored shape: one memcached item holding a small text header and the payload, so version
 * and value are written and read together (atomically):
 *
 *     t<version>:<codec output as UTF-8 text>      e.g.  t3:{"a":1}
 *     b<version>:<codec output as base64>          for codecs whose bytes are not CR/LF-free UTF-8
 *
 * The payload never contains CR or LF, so the `memcached` client (which escapes CR/LF and splits
 * replies on them) stores and returns it unchanged.
 */
const TEXT = 't';
const BASE64 = 'b';
const SEPARATOR = ':';

/** Longest header: mode + "-9007199254740991" + ":". */
export const ITEM_HEADER_MAX_BYTES = 1 + 17 + 1;

/**
 * memcached's per-item overhead counted against `-I`, beyond key and data: measured against
 * memcached 1.6 as 59 bytes (item header, CAS, key terminator, CRLF), plus 4 bytes for client
 * flags and 1 spare.
 */
export const ITEM_OVERHEAD_BYTES = 64;

/** Largest item data (header + payload) that fits an `-I maxItemBytes` server with any key. */
export function maxItemDataBytes(maxItemBytes: number): number {
  return maxItemBytes - ITEM_OVERHEAD_BYTES - MEMCACHED_MAX_KEY_BYTES;
}

/**
 * `supports.maxValueBytes`: the largest codec output that always fits. The JSON codec's output is
 * CR/LF-free UTF-8 and is stored as is; other codecs may need base64 (4 bytes per 3).
 */
export function maxValueBytes(maxItemBytes: number, codec: Codec): number {
  const room = maxItemDataBytes(maxItemBytes) - ITEM_HEADER_MAX_BYTES;
  return codec === jsonCodec ? room : Math.floor(room / 4) * 3;
}

export interface EncodedItem {
  text: string;
  /** UTF-8 length of `text`, as the set command announces it. */
  bytes: number;
}

export function encodeItem(record: WriteRecord, codec: Codec): EncodedItem {
  const data = Buffer.isBuffer(record.data)
    ? record.data
    : Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength);
  const header = String(record.version) + SEPARATOR;
  // The kit's JSON codec emits JSON.stringify output: valid UTF-8 without raw CR/LF.
  if (codec === jsonCodec || (isUtf8(data) && data.indexOf(10) === -1 && data.indexOf(13) === -1)) {
    return { text: TEXT + header + data.toString('utf8'), bytes: 1 + header.length + data.byteLength };
  }
  const payload = data.toString('base64');
  return { text: BASE64 + header + payload, bytes: 1 + header.length + payload.length };
}

/** Where the header ends, after checking it; throws CORRUPT for anything we did not write. */
function headerEnd(raw: unknown): { text: string; end: number; version: number } {
  if (typeof raw !== 'string') throw corrupt('it is not a connector-kit item');
  const mode = raw.charAt(0);
  const end = raw.indexOf(SEPARATOR, 1);
  if ((mode !== TEXT && mode !== BASE64) || end < 2 || end > ITEM_HEADER_MAX_BYTES) {
    throw corrupt('it has no connector-kit header');
  }
  const version = Number(raw.slice(1, end));
  if (!Number.isSafeInteger(version)) throw corrupt('its version is not an integer');
  return { text: raw, end, version };
}

export function readItemVersion(raw: unknown): number {
  return headerEnd(raw).version;
}

/** Decodes an item. With the JSON codec the payload is parsed straight from the reply text. */
export function readItem(raw: unknown, codec: Codec): ReadRecord {
  const { text, end, version } = headerEnd(raw);
  const payload = text.slice(end + 1);
  if (text.charAt(0) === BASE64) return { version, data: Buffer.from(payload, 'base64') };
  if (codec === jsonCodec) {
    try {
      return { version, value: JSON.parse(payload) as JsonValue };
    } catch (err) {
      throw new ConnectorError('CORRUPT', 'Stored bytes are not valid JSON (written by another codec?)', {
        cause: err,
      });
    }
  }
  return { version, data: Buffer.from(payload, 'utf8') };
}

function corrupt(reason: string): ConnectorError {
  return new ConnectorError(
    'CORRUPT',
    `The memcached item cannot be read: ${reason} (written by another program?)`,
  );
}
