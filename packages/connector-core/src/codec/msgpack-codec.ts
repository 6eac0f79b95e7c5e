import { decode, encode, ExtensionCodec } from '@msgpack/msgpack';
import { ConnectorError } from '../errors';
import type { JsonValue } from '../types';
import type { Codec } from './codec';
import { assertJsonValue, copyJsonValue } from './validate';

/**
 * MessagePack decoders refuse (rightly) to assign a `__proto__` map key, because plain assignment
 * would change the prototype. An object that has such an own key is therefore written as this
 * extension type: a flat [key, value, key, value, …] array, rebuilt with defineProperty so the
 * key stays plain data.
 */
const RESERVED_KEY_OBJECT = 1;

const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: RESERVED_KEY_OBJECT,
  encode(input: unknown): Uint8Array | null {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
    if (!Object.prototype.hasOwnProperty.call(input, '__proto__')) return null;
    const record = input as Record<string, unknown>;
    const pairs: unknown[] = [];
    for (const key of Object.keys(record)) pairs.push(key, record[key]);
    return encode(pairs, { extensionCodec });
  },
  decode(data: Uint8Array): unknown {
    const pairs = decode(data, { extensionCodec }) as unknown[];
    const object: Record<string, unknown> = {};
    for (let i = 0; i < pairs.length; i += 2) {
      Object.defineProperty(object, pairs[i] as string, {
        value: pairs[i + 1],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return object;
  },
});

/** Compact binary codec (MessagePack via @msgpack/msgpack); select with `codec: 'msgpack'`. */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  encode(value: unknown): Uint8Array {
    assertJsonValue(value);
    return encode(value, { extensionCodec, ignoreUndefined: false });
  },
  encodeCopy(value: unknown): { data: Uint8Array; copy: JsonValue } {
    const copy = copyJsonValue(value);
    return { data: encode(copy, { extensionCodec, ignoreUndefined: false }), copy };
  },
  decode(bytes: Uint8Array): JsonValue {
    try {
      return decode(bytes, { extensionCodec }) as JsonValue;
    } catch (err) {
      throw new ConnectorError(
        'CORRUPT',
        'Stored bytes are not valid MessagePack (written by another codec?)',
        {
          cause: err,
        },
      );
    }
  },
};
