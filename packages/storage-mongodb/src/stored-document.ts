import { ConnectorError, type JsonValue } from '@connector-kit/connector-core';
import { BSON, type Binary } from 'mongodb';
import type { Location } from './key-mapping';
import { fromStoredValue, toStoredValue } from './stored-value';

/**
 * One record as a MongoDB document:
 *
 *     { _id, v: <version>, d: <value> }                 an ordinary value, queryable as is
 *     { _id, v, d: <value with escaped keys>, x: true }  keys like "a.b", "$set", "" were escaped
 *     { _id, v, j: '<JSON text>' }                       values BSON cannot hold exactly
 *     … e: ISODate(…)                                     expiry (TTL index), only with a TTL
 *     … k: '<id>'                                          the id, when `_id` is its SHA-256 hash
 */
export interface StoredDocument {
  _id: string | Binary;
  v: number;
  d?: unknown;
  x?: boolean;
  j?: string;
  e?: Date;
  k?: string;
}

/** Above this many serialised bytes a value's BSON size is measured (BSON can be ~7× larger). */
const MEASURE_ABOVE_BYTES = 1024 * 1024;
/** MongoDB's 16 MiB document limit, less room for `_id`, `k`, `v` and `e`. */
const MAX_NATIVE_BSON_BYTES = 16 * 1024 * 1024 - 64 * 1024;

export interface WriteInput {
  value: JsonValue;
  version: number;
  /** At least the size of the codec's bytes (`record.sizeBound`), to skip measuring small values. */
  encodedBytes: number;
}

/** Builds the full replacement document (an overwrite replaces, so removed fields are gone). */
export function toDocument(location: Location, input: WriteInput, ttl: number): StoredDocument {
  return buildDocument(location, input.value, input.version, input.encodedBytes, ttl);
}

/** `toDocument` without the input object (it runs for every record written). */
export function buildDocument(
  location: Location,
  value: JsonValue,
  version: number,
  encodedBytes: number,
  ttl: number,
): StoredDocument {
  let stored = toStoredValue(value);
  if (
    stored.kind === 'native' &&
    encodedBytes > MEASURE_ABOVE_BYTES &&
    BSON.calculateObjectSize({ d: stored.d }) > MAX_NATIVE_BSON_BYTES
  ) {
    // Arrays of small numbers grow several-fold as BSON; as JSON text they fit.
    stored = { kind: 'json', j: JSON.stringify(value) };
  }
  if (stored.kind === 'json' && stored.j.length * 3 > MAX_NATIVE_BSON_BYTES) {
    // JSON text can be several times the codec's bytes (`\u0001` for one MessagePack byte): a
    // document MongoDB would refuse (and the driver cannot even serialise) fails here, clearly.
    const size = Buffer.byteLength(stored.j);
    if (size > MAX_NATIVE_BSON_BYTES) {
      throw new ConnectorError(
        'VALUE_TOO_LARGE',
        `Value needs ${size} bytes as JSON text (it cannot be stored as BSON); a MongoDB document holds at most ${MAX_NATIVE_BSON_BYTES}`,
        { details: { size, limit: MAX_NATIVE_BSON_BYTES } },
      );
    }
  }
  // Built whole (not field by field): the common `{ _id, v, d }` keeps one stable object shape.
  const doc: StoredDocument =
    stored.kind === 'native'
      ? { _id: location.id, v: version, d: stored.d }
      : { _id: location.id, v: version, j: stored.j };
  if (stored.kind === 'native' && stored.escaped) doc.x = true;
  if (ttl > 0) doc.e = new Date(Date.now() + ttl);
  if (location.longId !== undefined) doc.k = location.longId;
  return doc;
}

/** True when the document has an expiry that has passed (the TTL monitor may not have run yet). */
export function isExpired(doc: Pick<StoredDocument, 'e'>, now: number): boolean {
  return doc.e instanceof Date && doc.e.getTime() <= now;
}

/** False for a hash collision: the document's `k` is not the id that was hashed. */
export function belongsTo(doc: Pick<StoredDocument, 'k'>, location: Location): boolean {
  return location.longId === undefined || doc.k === location.longId;
}

/** The record version; a document written without one (by hand) has version 0. */
export function versionOf(doc: Pick<StoredDocument, 'v'>): number {
  if (doc.v === undefined) return 0;
  if (typeof doc.v !== 'number' || !Number.isSafeInteger(doc.v)) {
    throw new ConnectorError('CORRUPT', `Stored document's version "v" is not an integer (${String(doc.v)})`);
  }
  return doc.v;
}

/** The value of a document read from the server (freshly deserialised, so it may be handed out). */
export function valueOf(doc: StoredDocument): JsonValue {
  if (typeof doc.j === 'string') {
    try {
      return JSON.parse(doc.j) as JsonValue;
    } catch (err) {
      throw new ConnectorError('CORRUPT', 'Stored document has a "j" field that is not JSON', { cause: err });
    }
  }
  if (!('d' in doc)) throw new ConnectorError('CORRUPT', 'Stored document has neither "d" nor "j"');
  return fromStoredValue(doc.d, doc.x === true);
}
