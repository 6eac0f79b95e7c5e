import { decode, encode, ExtensionCodec } from '@msgpack/msgpack';
import { ConnectorError } from '../errors';
import type { JsonValue } from '../types';
import type { Codec } from './codec';
import { assertJsonValue, copyJsonValue, setOwn } from './validate';

/**
 * MessagePack decoders refuse (rightly) to assign a `__proto__` map key, because plain assignment
 * would change the prototype. An object that has such an own key is therefore written as this
 * extension type: a flat [key, value, key, value, …] array, rebuilt with defineProperty so the
 * key stays plain data. Objects with a key that has a lone surrogate take the same form (their
 * keys then travel as ILL_FORMED_STRING, below).
 */
const RESERVED_KEY_OBJECT = 1;
/**
 * A string with a lone UTF-16 surrogate (JSON holds it; UTF-8 cannot): @msgpack/msgpack writes
 * long strings with TextEncoder, which replaces it with U+FFFD. Such strings travel as this
 * extension type, their UTF-16 code units little-endian, and come back exactly.
 */
const ILL_FORMED_STRING = 2;

class IllFormedString {
  constructor(readonly text: string) {}
}

/** An object written as key/value pairs (see RESERVED_KEY_OBJECT). */
class PairsObject {
  constructor(readonly pairs: unknown[]) {}
}

const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: RESERVED_KEY_OBJECT,
  encode(input: unknown): Uint8Array | null {
    if (input instanceof PairsObject) return encode(input.pairs, { extensionCodec });
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
    if (input instanceof IllFormedString) return null;
    if (!Object.prototype.hasOwnProperty.call(input, '__proto__')) return null;
    const record = input as Record<string, unknown>;
    const pairs: unknown[] = [];
    for (const key of Object.keys(record)) pairs.push(key, record[key]);
    return encode(pairs, { extensionCodec });
  },
  decode(data: Uint8Array): unknown {
    const pairs = decode(data, { extensionCodec }) as unknown[];
    const object: Record<string, unknown> = {};
    for (let i = 0; i < pairs.length; i += 2) setOwn(object, pairs[i] as string, pairs[i + 1]);
    return object;
  },
});
extensionCodec.register({
  type: ILL_FORMED_STRING,
  encode(input: unknown): Uint8Array | null {
    if (!(input instanceof IllFormedString)) return null;
    const { text } = input;
    const bytes = new Uint8Array(text.length * 2);
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      bytes[2 * i] = unit & 0xff;
      bytes[2 * i + 1] = unit >> 8;
    }
    return bytes;
  },
  decode(data: Uint8Array): unknown {
    const units: number[] = [];
    for (let i = 0; i + 1 < data.length; i += 2) units.push(data[i]! | (data[i + 1]! << 8));
    let text = '';
    // In chunks: fromCharCode takes its arguments on the stack.
    for (let i = 0; i < units.length; i += 8192) text += String.fromCharCode(...units.slice(i, i + 8192));
    return text;
  },
});

/** False when `text` has a lone surrogate (Node ≥ 20 has the method; our TypeScript lib lacks its type). */
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * `value` (already validated) with every string that has a lone surrogate wrapped for the
 * ILL_FORMED_STRING extension; the same object when there is none (no copy on the common path).
 */
function protectIllFormed(value: unknown): unknown {
  if (typeof value === 'string') return isWellFormed(value) ? value : new IllFormedString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped = protectIllFormed(item);
      if (copy === null && mapped !== item) copy = value.slice(0, i);
      if (copy !== null) copy.push(mapped);
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let changed = false;
  let illFormedKey = false;
  const mapped: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const item = record[keys[i]!];
    mapped[i] = protectIllFormed(item);
    if (mapped[i] !== item) changed = true;
    if (!isWellFormed(keys[i]!)) illFormedKey = true;
  }
  if (illFormedKey) {
    const pairs: unknown[] = [];
    for (let i = 0; i < keys.length; i++) pairs.push(protectIllFormed(keys[i]), mapped[i]);
    return new PairsObject(pairs);
  }
  if (!changed) return value;
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) setOwn(copy, keys[i]!, mapped[i]);
  return copy;
}

function encodeValidated(value: unknown): Uint8Array {
  return encode(protectIllFormed(value), { extensionCodec, ignoreUndefined: false });
}

/** Compact binary codec (MessagePack via @msgpack/msgpack); select with `codec: 'msgpack'`. */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  encode(value: unknown): Uint8Array {
    assertJsonValue(value);
    return encodeValidated(value);
  },
  encodeCopy(value: unknown): { data: Uint8Array; copy: JsonValue } {
    const copy = copyJsonValue(value);
    return { data: encodeValidated(copy), copy };
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
