import type { Codec } from '../codec';
import type { JsonValue } from '../types';

/**
 * What a driver is handed to write: the serialised bytes and the version. `value` decodes a
 * fresh copy for drivers that store documents rather than bytes (MongoDB, DynamoDB): the caller
 * may change its own object after `set()` returns, the bytes were taken at call time.
 */
export interface WriteRecord {
  readonly data: Uint8Array;
  readonly version: number;
  readonly value: JsonValue;
}

/**
 * What a driver returns from a read: either the stored bytes, or a value the driver built
 * freshly for this call (never an object it keeps or shares).
 */
export type ReadRecord = { version: number; data: Uint8Array } | { version: number; value: JsonValue };

export class EncodedRecord implements WriteRecord {
  constructor(
    readonly data: Uint8Array,
    readonly version: number,
    private readonly codec: Codec,
    /** A private copy taken while encoding, handed to the first reader of `value`. */
    private copy?: JsonValue,
  ) {}

  get value(): JsonValue {
    const copy = this.copy;
    if (copy === undefined) return this.codec.decode(this.data);
    this.copy = undefined; // each reader gets its own object
    return copy;
  }
}

export function readValue(record: ReadRecord, codec: Codec): JsonValue {
  return 'value' in record ? record.value : codec.decode(record.data);
}
