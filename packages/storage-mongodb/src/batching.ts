import type { BatchedCall } from '@connector-kit/connector-core';
import {
  BSON,
  MongoBulkWriteError,
  MongoInvalidArgumentError,
  type AnyBulkWriteOperation,
  type Binary,
  type Collection,
  type Filter,
  type WriteError,
} from 'mongodb';
import { tokenOfStoredId, type Location } from './key-mapping';
import { MongoStatementError, unwrapBulkError, writeErrorsOf } from './mongo-errors';
import type { StoredDocument } from './stored-document';

/**
 * The commands behind the single-key hooks, alone or auto-batched. A batch of one is sent exactly
 * as an unbatched call (so concurrency 1 is unchanged); a larger batch is one command per
 * collection. Every function here settles every call it is given: a failure of a whole command
 * rejects that command's calls, a statement's own failure only its caller.
 */

export type CollectionOf = (name: string) => Collection<StoredDocument>;

/** One document to write over whatever the key holds. */
export interface PendingWrite {
  location: Location;
  doc: StoredDocument;
}

export type WriteCall = BatchedCall<PendingWrite, void>;
export type ReadCall = BatchedCall<Location, StoredDocument | null>;
export type DeleteCall = BatchedCall<Location, void>;

/** Shared, never mutated: the driver copies options. */
const UPSERT = { upsert: true } as const;

function idFilter(location: Location): Filter<StoredDocument> {
  return { _id: location.id };
}

function idsFilter(ids: (string | Binary)[]): Filter<StoredDocument> {
  return { _id: { $in: ids } };
}

// -----------------------------------------------------------------------------------------------
// Single commands (the unbatched path, and batches of one).

/** A replacement, never $set: fields the new value lacks must be gone. */
export async function replaceDocument(
  collection: Collection<StoredDocument>,
  write: PendingWrite,
): Promise<void> {
  await collection.replaceOne(idFilter(write.location), write.doc, UPSERT);
}

export function findDocument(
  collection: Collection<StoredDocument>,
  location: Location,
  projection: Record<string, 1> | undefined,
): Promise<StoredDocument | null> {
  return projection === undefined
    ? collection.findOne(idFilter(location))
    : collection.findOne(idFilter(location), { projection });
}

export async function deleteDocument(
  collection: Collection<StoredDocument>,
  location: Location,
): Promise<void> {
  await collection.deleteOne(idFilter(location));
}

/**
 * An exact, separate copy of a document read from the server (BSON types included), for the
 * second and later callers that asked for the same key: each caller must get its own object.
 */
export function copyDocument(doc: StoredDocument, collection: Collection<StoredDocument>): StoredDocument {
  // The collection's BSON options (promoteLongs, useBigInt64, …): the copy reads as the original did.
  const options = collection.bsonOptions;
  return BSON.deserialize(BSON.serialize(doc, options), options) as StoredDocument;
}

// -----------------------------------------------------------------------------------------------
// Grouping.

/**
 * The calls by collection, in call order. With `distinct`, a second call for an `_id` already in
 * the current group starts the next group, so no command names an `_id` twice; groups of one
 * collection are then sent one after another (the later write wins).
 */
function groupsByCollection<C>(
  calls: readonly C[],
  locationOf: (call: C) => Location,
  distinct: boolean,
): Map<string, C[][]> {
  const groups = new Map<string, { all: C[][]; tokens: Set<string> }>();
  for (const call of calls) {
    const location = locationOf(call);
    let entry = groups.get(location.collection);
    if (entry === undefined) {
      entry = { all: [[]], tokens: new Set() };
      groups.set(location.collection, entry);
    }
    if (distinct) {
      if (entry.tokens.has(location.token)) {
        entry.all.push([]);
        entry.tokens.clear();
      }
      entry.tokens.add(location.token);
    }
    entry.all[entry.all.length - 1]!.push(call);
  }
  const out = new Map<string, C[][]>();
  for (const [name, entry] of groups) out.set(name, entry.all);
  return out;
}

// -----------------------------------------------------------------------------------------------
// Writes: one unordered bulkWrite of replaceOne upserts per collection.

export async function flushWrites(calls: WriteCall[], collectionOf: CollectionOf): Promise<void> {
  if (calls.length === 1) {
    const call = calls[0]!;
    await replaceDocument(collectionOf(call.input.location.collection), call.input);
    call.resolve();
    return;
  }
  const groups = groupsByCollection(calls, (call) => call.input.location, true);
  await Promise.all(
    [...groups].map(async ([name, sequence]) => {
      const collection = collectionOf(name);
      for (const group of sequence) await writeGroup(collection, group);
    }),
  );
}

async function writeGroup(collection: Collection<StoredDocument>, group: WriteCall[]): Promise<void> {
  try {
    if (group.length === 1) {
      await replaceDocument(collection, group[0]!.input);
    } else {
      const operations: AnyBulkWriteOperation<StoredDocument>[] = new Array(group.length);
      for (let i = 0; i < group.length; i++) {
        const { location, doc } = group[i]!.input;
        operations[i] = { replaceOne: { filter: idFilter(location), replacement: doc, upsert: true } };
      }
      // Unordered: one statement's failure neither stops nor fails the others.
      await collection.bulkWrite(operations, { ordered: false });
    }
    for (const call of group) call.resolve();
  } catch (err) {
    if (group.length > 1 && refusedByDriver(err)) {
      await writeOneByOne(collection, group);
    } else {
      settleFailedWrites(group, err);
    }
  }
}

/**
 * True when the driver refused the bulkWrite itself, before the server saw it, for what may be one
 * document (over 16 MiB, or one BSON cannot serialise): then no statement has its own outcome.
 */
function refusedByDriver(err: unknown): boolean {
  const cause = unwrapBulkError(err);
  return cause instanceof MongoInvalidArgumentError || cause instanceof BSON.BSONError;
}

/**
 * Each write on its own, so each caller gets its own outcome. Safe to repeat a statement the
 * driver may already have sent in an earlier message: a replacement is idempotent, and no other
 * write of the key is in flight (the base class orders writes per key).
 */
async function writeOneByOne(collection: Collection<StoredDocument>, group: WriteCall[]): Promise<void> {
  await Promise.all(
    group.map((call) =>
      replaceDocument(collection, call.input).then(
        () => call.resolve(),
        (err: unknown) => call.reject(err),
      ),
    ),
  );
}

/**
 * A bulkWrite that failed: statements with a write error reject their own caller (with that
 * error); the rest succeeded unless the whole command failed (network, timeout, a command
 * error) or the write concern was not satisfied.
 */
function settleFailedWrites(group: WriteCall[], err: unknown): void {
  const writeErrors = err instanceof MongoBulkWriteError ? writeErrorsOf(err) : [];
  if (writeErrors.length === 0) {
    for (const call of group) call.reject(err);
    return;
  }
  const byIndex = new Map<number, WriteError>();
  for (const writeError of writeErrors) byIndex.set(writeError.index, writeError);
  const concern = (err as MongoBulkWriteError).result?.getWriteConcernError();
  const concernError = concern === undefined ? null : MongoStatementError.from(concern);
  group.forEach((call, index) => {
    const own = byIndex.get(index);
    if (own !== undefined) call.reject(MongoStatementError.from(own));
    else if (concernError !== null) call.reject(concernError);
    else call.resolve();
  });
}

// -----------------------------------------------------------------------------------------------
// Reads: one find({ _id: { $in } }) per collection.

export async function flushReads(
  calls: ReadCall[],
  collectionOf: CollectionOf,
  projection: Record<string, 1> | undefined,
): Promise<void> {
  if (calls.length === 1) {
    const call = calls[0]!;
    call.resolve(await findDocument(collectionOf(call.input.collection), call.input, projection));
    return;
  }
  const groups = groupsByCollection(calls, (call) => call.input, false);
  await Promise.all([...groups].map(([name, [group]]) => readGroup(collectionOf(name), group!, projection)));
}

async function readGroup(
  collection: Collection<StoredDocument>,
  group: ReadCall[],
  projection: Record<string, 1> | undefined,
): Promise<void> {
  try {
    if (group.length === 1) {
      const call = group[0]!;
      call.resolve(await findDocument(collection, call.input, projection));
      return;
    }
    const docs = await findEach(
      collection,
      group.map((call) => call.input),
      projection,
    );
    group.forEach((call, i) => call.resolve(docs[i]!));
  } catch (err) {
    for (const call of group) call.reject(err);
  }
}

/**
 * One `find({ _id: { $in } })` for the given locations (of one collection), the documents by
 * `Location.token`. The whole answer is asked for in the first batch (one round trip; the server
 * still caps a batch at 16 MiB and the driver fetches the rest).
 */
async function findByIds(
  collection: Collection<StoredDocument>,
  locations: readonly Location[],
  projection: Record<string, 1> | undefined,
): Promise<Map<string, StoredDocument>> {
  const ids: (string | Binary)[] = [];
  const seen = new Set<string>();
  for (const location of locations) {
    if (seen.has(location.token)) continue;
    seen.add(location.token);
    ids.push(location.id);
  }
  const docs = await collection
    .find(
      idsFilter(ids),
      projection === undefined ? { batchSize: ids.length } : { projection, batchSize: ids.length },
    )
    .toArray();
  const byToken = new Map<string, StoredDocument>();
  for (const doc of docs) {
    const token = tokenOfStoredId(doc._id);
    if (token !== null) byToken.set(token, doc);
  }
  return byToken;
}

/**
 * `findByIds`, answered per location in order (null: no document). A location asked for twice
 * gets its own copy: each caller must get its own object.
 */
export async function findEach(
  collection: Collection<StoredDocument>,
  locations: readonly Location[],
  projection: Record<string, 1> | undefined,
): Promise<(StoredDocument | null)[]> {
  const byToken = await findByIds(collection, locations, projection);
  const handedOut = new Set<StoredDocument>();
  return locations.map((location) => {
    const doc = byToken.get(location.token);
    if (doc === undefined) return null;
    if (handedOut.has(doc)) return copyDocument(doc, collection);
    handedOut.add(doc);
    return doc;
  });
}

// -----------------------------------------------------------------------------------------------
// Deletes: one deleteMany({ _id: { $in } }) per collection (deleting a missing key is no error).

export async function flushDeletes(calls: DeleteCall[], collectionOf: CollectionOf): Promise<void> {
  if (calls.length === 1) {
    const call = calls[0]!;
    await deleteDocument(collectionOf(call.input.collection), call.input);
    call.resolve();
    return;
  }
  const groups = groupsByCollection(calls, (call) => call.input, false);
  await Promise.all(
    [...groups].map(async ([name, [group]]) => {
      try {
        const collection = collectionOf(name);
        if (group!.length === 1) {
          await deleteDocument(collection, group![0]!.input);
        } else {
          await collection.deleteMany(idsFilter(group!.map((call) => call.input.id)));
        }
        for (const call of group!) call.resolve();
      } catch (err) {
        for (const call of group!) call.reject(err);
      }
    }),
  );
}
