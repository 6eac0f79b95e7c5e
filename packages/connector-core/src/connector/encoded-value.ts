import type { Codec } from '../codec';
import type { JsonValue } from '../types';

/*
 * A value that a connector-kit codec has already validated and serialised, handed from one
 * connector to another (the tiered store writes the bytes it took at `set()` to each tier).
 * A tier built on BaseConnector with the same codec stores those bytes as they are instead of
 * decoding and re-encoding them: a tiered write costs one serialisation instead of five.
 * Only connectors that say they accept it are given one (see acceptsEncodedValues).
 */

const ENCODED = Symbol.for('connector-kit.encoded-value');
const ACCEPTS = Symbol.for('connector-kit.accepts-encoded-values');

export interface EncodedValue {
  readonly [ENCODED]: true;
  readonly data: Uint8Array;
  readonly codec: Codec;
}

/** Wraps bytes produced by `codec` for a tier that accepts them (typed as a JSON value for `set`). */
export function encodedValue(data: Uint8Array, codec: Codec): JsonValue {
  const wrapped: EncodedValue = { [ENCODED]: true, data, codec };
  return wrapped as unknown as JsonValue;
}

export function isEncodedValue(value: unknown): value is EncodedValue {
  return typeof value === 'object' && value !== null && (value as Partial<EncodedValue>)[ENCODED] === true;
}

/** The bytes of `value` in `codec`: reused when produced by that same codec, else re-encoded. */
export function bytesOfEncoded(value: EncodedValue, codec: Codec): Uint8Array {
  return value.codec === codec ? value.data : codec.encode(value.codec.decode(value.data));
}

/** Marks a connector class as accepting encoded values (a brand shared by every copy of the kit). */
export function markAcceptsEncodedValues(target: object): void {
  Object.defineProperty(target, ACCEPTS, { value: true });
}

export function acceptsEncodedValues(connector: unknown): boolean {
  return (
    typeof connector === 'object' &&
    connector !== null &&
    (connector as { [ACCEPTS]?: unknown })[ACCEPTS] === true
  );
}
