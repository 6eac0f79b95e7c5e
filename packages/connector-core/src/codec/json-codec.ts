import { ConnectorError } from '../errors';
import type { JsonValue } from '../types';
import type { Codec } from './codec';
import { assertJsonValue, copyJsonValue, jsonSizeBound } from './validate';

/**
 * The default codec: UTF-8 JSON. JSON.parse defines `__proto__` and `constructor` as own data
 * properties, so such keys come back as plain data, never as prototype changes.
 */
export const jsonCodec: Codec = {
  name: 'json',
  encode(value: unknown): Uint8Array {
    assertJsonValue(value);
    return Buffer.from(JSON.stringify(value), 'utf8');
  },
  encodeCopy(value: unknown): { data: Uint8Array; copy: JsonValue } {
    const copy = copyJsonValue(value);
    return { data: Buffer.from(JSON.stringify(copy), 'utf8'), copy };
  },
  copyWithSizeBound(value: unknown): { copy: JsonValue; maxBytes: number } {
    const copy = copyJsonValue(value);
    return { copy, maxBytes: jsonSizeBound(copy) };
  },
  decode(bytes: Uint8Array): JsonValue {
    const text = Buffer.isBuffer(bytes)
      ? bytes.toString('utf8')
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    try {
      return JSON.parse(text) as JsonValue;
    } catch (err) {
      throw new ConnectorError('CORRUPT', 'Stored bytes are not valid JSON (written by another codec?)', {
        cause: err,
      });
    }
  },
};
