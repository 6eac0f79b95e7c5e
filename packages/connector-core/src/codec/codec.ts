import type { JsonValue } from '../types';

/**
 * A codec turns JSON values into bytes and back. The kit owns serialisation: connectors store
 * what the codec produces, and `encode` runs synchronously inside `set()`, so later changes the
 * caller makes to the object cannot leak into what is stored.
 */
export interface Codec {
  readonly name: string;
  /** Validates and serialises; throws ConnectorError(INVALID_VALUE) naming the bad path. */
  encode(value: unknown): Uint8Array;
  /** Parses bytes produced by `encode`; throws ConnectorError(CORRUPT) on garbage. */
  decode(bytes: Uint8Array): JsonValue;
  /**
   * Optional: `encode`, also returning a private deep copy of the value taken in the same pass
   * (what `decode(encode(value))` would give), for connectors that store documents.
   */
  encodeCopy?(value: unknown): { data: Uint8Array; copy: JsonValue };
  /**
   * Optional: the check and private copy of `encodeCopy` without the bytes, and a bound that
   * `encode(value).byteLength` never exceeds (for connectors that never store the bytes).
   */
  copyWithSizeBound?(value: unknown): { copy: JsonValue; maxBytes: number };
}
