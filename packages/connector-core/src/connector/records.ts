import type { Codec } from '../codec';
import type { JsonValue, SetOptions } from '../types';

/**
 * What a driver is handed to write: the serialised bytes and the version. `value` decodes a
 * fresh copy for drivers that store documents rather than bytes (MongoDB, DynamoDB): the caller
 * may change its own object after `set()` returns, the bytes were taken at call time.
 */
export interface WriteRecord {
  readonly data: Uint8Array;
  readonly version: number;
  readonly value: JsonValue;
  /**
   * At least `data.byteLength` (equal to it unless the record was made without its bytes, see
   * `ConnectorIdentity.valuesOnly`): what a document store sizes a value by.
   */
  readonly sizeBound: number;
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

  get sizeBound(): number {
    return this.data.byteLength;
  }
}

/**
 * A record made for a connector that reads only `value` and `sizeBound` (`valuesOnly`): the
 * value was validated and copied at call time, but never serialised, since the document store
 * builds its own representation from the copy. The copy goes to the one reader of `value`.
 */
export class CopiedRecord implements WriteRecord {
  constructor(
    private copy: JsonValue | undefined,
    readonly version: number,
    readonly sizeBound: number,
  ) {}

  get value(): JsonValue {
    const copy = this.copy;
    if (copy === undefined) throw misuse('record.value was already read');
    this.copy = undefined;
    return copy;
  }

  get data(): Uint8Array {
    throw misuse('record.data is not kept');
  }
}

function misuse(what: string): Error {
  return new Error(
    `${what}: a connector that declares valuesOnly reads record.value once and never record.data`,
  );
}

export function readValue(record: ReadRecord, codec: Codec): JsonValue {
  return 'value' in record ? record.value : codec.decode(record.data);
}

/**
 * The options of a write handed on to another connector (a tier, the connector in a worker
 * thread): the version, and the TTL only when there is one, so that connector's own default
 * applies otherwise.
 */
export function writeOptions(version: number, ttl: number): SetOptions {
  return ttl > 0 ? { version, ttl } : { version };
}
