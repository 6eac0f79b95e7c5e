/** Selecting the documents a filter matches, and checking documents before they are stored. */
import { BSONRegExp, calculateObjectSize, type Document } from 'bson';
import { commandError, ErrorCode } from '../errors';
import { idCandidates, type Predicate } from '../query';
import type { Collection } from '../store';
import { encodeDocument } from '../wire';
import { hasField } from '../values';
import { MAX_BSON_OBJECT_SIZE } from './args';

/**
 * Documents matching `predicate`, in natural order, at most `limit` of them. A filter on `_id` by
 * equality or `$in` is answered by lookup; anything else scans the collection.
 */
export function selectDocuments(
  collection: Collection | undefined,
  filter: unknown,
  predicate: Predicate,
  limit = Infinity,
): Document[] {
  if (!collection || limit <= 0) return [];
  const out: Document[] = [];
  const ids = idCandidates(filter);
  if (ids) {
    const seen = new Set<Document>();
    for (const id of ids) {
      const doc = collection.byId(id);
      if (doc && !seen.has(doc) && predicate(doc)) {
        seen.add(doc);
        out.push(doc);
      }
    }
    if (out.length > 1) {
      const order = new Map([...collection.docs.values()].map((d, i) => [d, i]));
      out.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    }
    return out.slice(0, limit);
  }
  for (const doc of collection.docs.values()) {
    if (predicate(doc)) {
      out.push(doc);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** Checks `_id` and size of a document about to be inserted (or upserted). */
export function checkInsertable(doc: Document): void {
  const id = doc._id;
  if (Array.isArray(id))
    throw commandError(ErrorCode.InvalidIdField, "The '_id' value cannot be of type array");
  if (id instanceof BSONRegExp) throw commandError(ErrorCode.InvalidIdField, "can't use a regex for _id");
  if (id === undefined && hasField(doc, '_id')) {
    throw commandError(ErrorCode.InvalidIdField, "can't use undefined for _id");
  }
  const size = calculateObjectSize(doc);
  if (size > MAX_BSON_OBJECT_SIZE) {
    throw commandError(
      ErrorCode.BSONObjectTooLarge,
      `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_OBJECT_SIZE}`,
    );
  }
}

/** Checks the result of an update before it replaces the stored document. */
export function checkUpdated(doc: Document): void {
  const size = calculateObjectSize(doc);
  if (size > MAX_BSON_OBJECT_SIZE) {
    throw commandError(17419, `Resulting document after update is larger than ${MAX_BSON_OBJECT_SIZE}`);
  }
  if (Array.isArray(doc._id))
    throw commandError(ErrorCode.InvalidIdField, "The '_id' value cannot be of type array");
}

/** True when two documents have identical BSON (same fields, order, types and values). */
export function sameBson(a: Document, b: Document): boolean {
  return encodeDocument(a).equals(encodeDocument(b));
}
