import {
  BaseConnector,
  ConnectorError,
  TickBatcher,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';
import type { AnyBulkWriteOperation, Collection, Db, Filter, MongoClient } from 'mongodb';
import { watchAvailability } from './availability';
import {
  deleteDocument,
  findDocument,
  findEach,
  flushDeletes,
  flushReads,
  flushWrites,
  replaceDocument,
  type CollectionOf,
  type PendingWrite,
} from './batching';
import { createMongoClient } from './client';
import { KeyMapper, type Location } from './key-mapping';
import { isDuplicateKey, MONGO_CODES, toConnectorErrorFromMongo } from './mongo-errors';
import {
  MONGODB_STORAGE_DEFAULTS,
  resolveOptions,
  type MongoStorageOptions,
  type ResolvedMongoOptions,
} from './options';
import {
  belongsTo,
  buildDocument,
  isExpired,
  valueOf,
  versionOf,
  type StoredDocument,
} from './stored-document';

export const MONGODB_STORAGE_VERSION = '0.1.0';

/** Fields `head` reads: the version, plus what decides whether the document counts. */
const HEAD_PROJECTION = { v: 1, e: 1, k: 1 } as const;

/**
 * A storage connector on the official MongoDB driver. One document per key, queryable by people
 * who use MongoDB, and an exact round-trip of every JSON value (see the README for the shape).
 */
export class MongoStorage extends BaseConnector {
  /** The driver's client: created from the URL, or the one passed as `client` (then not closed here). */
  readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly settings: ResolvedMongoOptions;
  private readonly keys: KeyMapper;
  private readonly db: Db;
  private readonly collections = new Map<string, Collection<StoredDocument>>();
  /** Collections whose TTL index exists (or is being created), so it is created once each. */
  private readonly ttlIndexes = new Map<string, Promise<void>>();
  /** Collections whose TTL index is known to exist: a write with a TTL need not wait for it. */
  private readonly ttlIndexReady = new Set<string>();
  /** Same-tick single operations sent together (null with `autoBatch: false`). */
  private readonly writeBatches: TickBatcher<PendingWrite, void> | null;
  private readonly getBatches: TickBatcher<Location, StoredDocument | null> | null;
  private readonly headBatches: TickBatcher<Location, StoredDocument | null> | null;
  private readonly deleteBatches: TickBatcher<Location, void> | null;
  private opened = false;
  private stopWatching: (() => void) | null = null;

  constructor(options: MongoStorageOptions = {}) {
    // Everything that can fail is checked before super(): the base class schedules _open().
    const settings = resolveOptions(options);
    const client =
      options.client ?? createMongoClient(settings, options, MONGODB_STORAGE_VERSION, options.clientOptions);
    super(options, {
      name: 'mongodb',
      version: MONGODB_STORAGE_VERSION,
      supports: {
        ttl: true,
        ttlGranularityMs: 1,
        bulk: true,
        compareAndSet: true,
        maxKeyBytes: MONGODB_STORAGE_DEFAULTS.maxKeyBytes,
        maxValueBytes: settings.maxValueBytes,
        persistent: true,
      },
      // Documents are built from record.value alone: take that copy while validating, and skip
      // the codec's bytes (sized by record.sizeBound).
      readsValues: true,
      valuesOnly: true,
    });
    this.settings = settings;
    this.keys = new KeyMapper(
      settings.database,
      this.prefix,
      settings.defaultCollection,
      settings.splitChar,
      settings.maxIdBytes,
    );
    this.ownsClient = options.client === undefined;
    this.client = client;
    this.db = this.client.db(settings.database);
    const max = MONGODB_STORAGE_DEFAULTS.maxAutoBatch;
    const collectionOf = this.collectionOf;
    this.writeBatches = settings.autoBatch
      ? new TickBatcher((calls) => flushWrites(calls, collectionOf), max)
      : null;
    this.getBatches = settings.autoBatch
      ? new TickBatcher((calls) => flushReads(calls, collectionOf, undefined), max)
      : null;
    this.headBatches = settings.autoBatch
      ? new TickBatcher((calls) => flushReads(calls, collectionOf, HEAD_PROJECTION), max)
      : null;
    this.deleteBatches = settings.autoBatch
      ? new TickBatcher((calls) => flushDeletes(calls, collectionOf), max)
      : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle.

  protected async _open(): Promise<void> {
    this.stopWatching ??= watchAvailability(this.client, {
      available: () => {
        if (this.opened && !this.isClosing) this.markReady();
      },
      unavailable: (reason) => {
        if (this.opened && !this.isClosing) {
          this.markUnavailable(
            new ConnectorError(
              'BACKEND',
              `MongoDB at ${this.settings.redactedUrl} is unavailable: ${reason}`,
            ),
          );
        }
      },
    });
    try {
      await this.client.connect();
    } catch (err) {
      throw toConnectorErrorFromMongo(err, `Cannot connect to MongoDB at ${this.settings.redactedUrl}`);
    }
    if (this.settings.ensureIndexes) await this.ensureTtlIndex(this.settings.defaultCollection);
    this.opened = true;
  }

  protected async _close(): Promise<void> {
    this.stopWatching?.();
    this.stopWatching = null;
    if (this.ownsClient) await this.client.close();
  }

  private readonly collectionOf: CollectionOf = (name) => {
    let collection = this.collections.get(name);
    if (collection === undefined) {
      collection = this.db.collection<StoredDocument>(name);
      this.collections.set(name, collection);
    }
    return collection;
  };

  /**
   * The TTL index on `e` (MongoDB deletes expired documents about once a minute; reads ignore
   * them before that). Created once per collection; a failure is a clear error and is retried.
   */
  private ensureTtlIndex(name: string): Promise<void> {
    let pending = this.ttlIndexes.get(name);
    if (pending === undefined) {
      pending = this.collectionOf(name)
        .createIndex({ e: 1 }, { expireAfterSeconds: 0 })
        .then(
          () => {
            this.ttlIndexReady.add(name);
          },
          (err: unknown) => {
            this.ttlIndexes.delete(name);
            throw this.indexError(name, err);
          },
        );
      this.ttlIndexes.set(name, pending);
    }
    return pending;
  }

  private indexError(name: string, err: unknown): ConnectorError {
    const error = toConnectorErrorFromMongo(
      err,
      `Cannot create the TTL index { e: 1 } on ${this.settings.database}.${name}`,
    );
    const code = (err as { code?: unknown }).code;
    if (code === MONGO_CODES.IndexOptionsConflict || code === MONGO_CODES.IndexKeySpecsConflict) {
      return new ConnectorError(
        'CONFIG',
        `${error.message} (an index on "e" with other options exists: drop it, or set ensureIndexes: false)`,
        { cause: err, details: { field: 'ensureIndexes' } },
      );
    }
    return error;
  }

  // ---------------------------------------------------------------------------------------------
  // Single-key hooks.

  protected async _get(key: string): Promise<ReadRecord | null> {
    const location = this.keys.locate(key);
    try {
      const doc = await (this.getBatches === null
        ? findDocument(this.collectionOf(location.collection), location, undefined)
        : this.getBatches.add(location));
      return doc === null ? null : this.readRecord(doc, location, Date.now());
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb get');
    }
  }

  protected override async _head(key: string): Promise<number | null> {
    const location = this.keys.locate(key);
    try {
      const doc = await (this.headBatches === null
        ? findDocument(this.collectionOf(location.collection), location, HEAD_PROJECTION)
        : this.headBatches.add(location));
      return doc === null ? null : this.readVersion(doc, location, Date.now());
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb head');
    }
  }

  protected async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    const location = this.keys.locate(key);
    try {
      // Awaited only while the index is being created: an await would split a same-tick batch.
      const index = ttl > 0 ? this.ttlIndexFor(location.collection) : null;
      if (index !== null) await index;
      const write: PendingWrite = { location, doc: this.documentFor(location, record, ttl) };
      await (this.writeBatches === null
        ? replaceDocument(this.collectionOf(location.collection), write)
        : this.writeBatches.add(write));
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb set');
    }
  }

  protected async _delete(key: string): Promise<void> {
    const location = this.keys.locate(key);
    try {
      await (this.deleteBatches === null
        ? deleteDocument(this.collectionOf(location.collection), location)
        : this.deleteBatches.add(location));
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb delete');
    }
  }

  /**
   * Expected null: replace a document that has expired, or insert; a live document makes the
   * insert fail with a duplicate key. Expected n: replace only a live document whose `v` is n.
   */
  protected override async _compareAndSet(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean> {
    const location = this.keys.locate(key);
    const collection = this.collectionOf(location.collection);
    try {
      const index = ttl > 0 ? this.ttlIndexFor(location.collection) : null;
      if (index !== null) await index;
      const doc = this.documentFor(location, record, ttl);
      const now = new Date();
      if (expectedVersion === null) {
        try {
          await collection.replaceOne({ _id: location.id, e: { $lte: now } }, doc, { upsert: true });
          return true;
        } catch (err) {
          if (isDuplicateKey(err)) return false;
          throw err;
        }
      }
      const live: Filter<StoredDocument> = {
        _id: location.id,
        v: expectedVersion,
        $or: [{ e: { $exists: false } }, { e: { $gt: now } }],
      };
      const result = await collection.replaceOne(live, doc);
      return result.matchedCount === 1;
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb compareAndSet');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk hooks: one command per collection involved.

  protected override async _getMany(keys: string[]): Promise<(ReadRecord | null)[]> {
    const now = Date.now();
    try {
      return await this.findMany(keys, undefined, (doc, location) => this.readRecord(doc, location, now));
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb getBulk');
    }
  }

  protected override async _headMany(keys: string[]): Promise<(number | null)[]> {
    const now = Date.now();
    try {
      return await this.findMany(keys, HEAD_PROJECTION, (doc, location) =>
        this.readVersion(doc, location, now),
      );
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb headBulk');
    }
  }

  protected override async _setMany(
    items: { key: string; record: WriteRecord }[],
    ttl: number,
  ): Promise<void> {
    const byCollection = new Map<string, AnyBulkWriteOperation<StoredDocument>[]>();
    try {
      // Most calls name one collection: remember the last one instead of a map lookup per item.
      let lastName: string | null = null;
      let last: AnyBulkWriteOperation<StoredDocument>[] = [];
      for (let i = 0; i < items.length; i++) {
        const { key, record } = items[i]!;
        const location = this.keys.locate(key);
        if (location.collection !== lastName) {
          lastName = location.collection;
          last = byCollection.get(lastName) ?? [];
          byCollection.set(lastName, last);
        }
        last.push({
          replaceOne: {
            filter: { _id: location.id },
            replacement: this.documentFor(location, record, ttl),
            upsert: true,
          },
        });
      }
      await Promise.all(
        [...byCollection].map(async ([name, operations]) => {
          const index = ttl > 0 ? this.ttlIndexFor(name) : null;
          if (index !== null) await index;
          // Ordered, so a key given twice ends with its last value.
          await this.collectionOf(name).bulkWrite(operations, { ordered: true });
        }),
      );
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb setBulk');
    }
  }

  protected override async _deleteMany(keys: string[]): Promise<void> {
    try {
      await Promise.all(
        [...this.groupByCollection(keys)].map(([name, group]) =>
          this.collectionOf(name).deleteMany({ _id: { $in: group.map((g) => g.location.id) } }),
        ),
      );
    } catch (err) {
      throw toConnectorErrorFromMongo(err, 'mongodb deleteBulk');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  /** What a write with a TTL waits for before it is sent: null when the index is known to exist. */
  private ttlIndexFor(name: string): Promise<void> | null {
    if (!this.settings.ensureIndexes || this.ttlIndexReady.has(name)) return null;
    return this.ensureTtlIndex(name);
  }

  /** `record.value` is a private copy taken at call time (the caller may change its own object). */
  private documentFor(location: Location, record: WriteRecord, ttl: number): StoredDocument {
    return buildDocument(location, record.value, record.version, record.sizeBound, ttl);
  }

  private readRecord(doc: StoredDocument, location: Location, now: number): ReadRecord | null {
    if (isExpired(doc, now) || !belongsTo(doc, location)) return null;
    return { version: versionOf(doc), value: valueOf(doc) };
  }

  private readVersion(doc: StoredDocument, location: Location, now: number): number | null {
    if (isExpired(doc, now) || !belongsTo(doc, location)) return null;
    return versionOf(doc);
  }

  private groupByCollection(keys: string[]): Map<string, { index: number; location: Location }[]> {
    const groups = new Map<string, { index: number; location: Location }[]>();
    keys.forEach((key, index) => {
      const location = this.keys.locate(key);
      const group = groups.get(location.collection) ?? [];
      group.push({ index, location });
      groups.set(location.collection, group);
    });
    return groups;
  }

  /** One `find({ _id: { $in } })` per collection; results in the order of `keys`. */
  private async findMany<T>(
    keys: string[],
    projection: Record<string, 1> | undefined,
    read: (doc: StoredDocument, location: Location) => T | null,
  ): Promise<(T | null)[]> {
    const results: (T | null)[] = new Array<T | null>(keys.length).fill(null);
    await Promise.all(
      [...this.groupByCollection(keys)].map(async ([name, group]) => {
        const docs = await findEach(
          this.collectionOf(name),
          group.map((g) => g.location),
          projection,
        );
        group.forEach(({ index, location }, i) => {
          const doc = docs[i];
          if (doc) results[index] = read(doc, location);
        });
      }),
    );
    return results;
  }
}
