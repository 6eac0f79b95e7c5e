/**
 * In-memory databases, collections and indexes. Documents live in insertion ("natural") order,
 * keyed by their `_id`; unique indexes are kept as maps so a violation is found without a scan.
 * Every mutation is reported to an optional journal (see persistence.ts) so a restart can replay it.
 */
import { Binary, UUID, type Document } from 'bson';
import { commandError, ErrorCode } from './errors';
import { leavesAt, splitPath } from './paths';
import { canonicalKey, formatValue, hasField, setField, toJsNumber } from './values';

export interface IndexSpec {
  v: number;
  key: Document;
  name: string;
  unique?: boolean;
  expireAfterSeconds?: number;
}

/** One journal record: `{ op, ... }` (see `Store.apply`). */
export type MutationRecord = Document & { op: string };

export interface Journal {
  append(record: MutationRecord): void;
}

export const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

interface UniqueIndex {
  spec: IndexSpec;
  fields: string[][];
  /** Index key tuple → canonical `_id` key of the document holding it. */
  entries: Map<string, string>;
}

export class Collection {
  /** Canonical `_id` key → document, in natural order. */
  readonly docs = new Map<string, Document>();
  readonly indexes: IndexSpec[] = [ID_INDEX];
  private readonly unique = new Map<string, UniqueIndex>();

  constructor(
    readonly db: string,
    readonly name: string,
    readonly uuid: Binary,
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get size(): number {
    return this.docs.size;
  }

  byId(id: unknown): Document | undefined {
    return this.docs.get(canonicalKey(id));
  }

  findIndex(name: string): IndexSpec | undefined {
    return this.indexes.find((i) => i.name === name);
  }

  /** Inserts after checking `_id` and unique indexes (throws DuplicateKey). */
  insert(doc: Document): void {
    const idKey = canonicalKey(doc._id);
    if (this.docs.has(idKey)) throw this.duplicate(ID_INDEX, { _id: doc._id });
    const additions = this.uniqueAdditions(doc, idKey);
    this.docs.set(idKey, doc);
    for (const [index, key] of additions) index.entries.set(key, idKey);
  }

  /** Replaces a document in place (same `_id`), re-checking unique indexes. */
  replace(previous: Document, next: Document): void {
    const idKey = canonicalKey(previous._id);
    const removed = this.removeUniqueEntries(previous, idKey);
    let additions: [UniqueIndex, string][];
    try {
      additions = this.uniqueAdditions(next, idKey);
    } catch (err) {
      for (const [index, key] of removed) index.entries.set(key, idKey);
      throw err;
    }
    this.docs.set(idKey, next);
    for (const [index, key] of additions) index.entries.set(key, idKey);
  }

  remove(doc: Document): void {
    const idKey = canonicalKey(doc._id);
    this.removeUniqueEntries(doc, idKey);
    this.docs.delete(idKey);
  }

  /** Adds an index; a unique one is built first and fails with DuplicateKey if the data violates it. */
  addIndex(spec: IndexSpec): void {
    if (spec.unique && spec.name !== ID_INDEX.name) {
      const index: UniqueIndex = { spec, fields: Object.keys(spec.key).map(splitPath), entries: new Map() };
      for (const [idKey, doc] of this.docs) {
        for (const { key, values } of indexKeys(index, doc)) {
          if (index.entries.has(key) && index.entries.get(key) !== idKey) {
            throw this.duplicate(spec, keyValue(spec, values));
          }
          index.entries.set(key, idKey);
        }
      }
      this.unique.set(spec.name, index);
    }
    this.indexes.push(spec);
  }

  dropIndex(name: string): void {
    const at = this.indexes.findIndex((i) => i.name === name);
    if (at > 0) this.indexes.splice(at, 1);
    this.unique.delete(name);
  }

  private uniqueAdditions(doc: Document, idKey: string): [UniqueIndex, string][] {
    const out: [UniqueIndex, string][] = [];
    for (const index of this.unique.values()) {
      for (const { key, values } of indexKeys(index, doc)) {
        const owner = index.entries.get(key);
        if (owner !== undefined && owner !== idKey)
          throw this.duplicate(index.spec, keyValue(index.spec, values));
        out.push([index, key]);
      }
    }
    return out;
  }

  private removeUniqueEntries(doc: Document, idKey: string): [UniqueIndex, string][] {
    const removed: [UniqueIndex, string][] = [];
    for (const index of this.unique.values()) {
      for (const { key } of indexKeys(index, doc)) {
        if (index.entries.get(key) === idKey) {
          index.entries.delete(key);
          removed.push([index, key]);
        }
      }
    }
    return removed;
  }

  private duplicate(spec: IndexSpec, value: Document) {
    return commandError(
      ErrorCode.DuplicateKey,
      `E11000 duplicate key error collection: ${this.ns} index: ${spec.name} dup key: ${formatValue(value)}`,
      { keyPattern: spec.key, keyValue: value },
    );
  }
}

function keyValue(spec: IndexSpec, values: unknown[]): Document {
  const out: Document = {};
  Object.keys(spec.key).forEach((field, i) => setField(out, field, values[i]));
  return out;
}

/**
 * The index keys of a document: one per combination of array elements (a multikey index), with a
 * missing field indexed as null. Two array fields in one compound key are refused, as MongoDB does.
 */
function indexKeys(index: UniqueIndex, doc: Document): { key: string; values: unknown[] }[] {
  const perField = index.fields.map((parts) => {
    const values: unknown[] = [];
    let isArray = false;
    for (const leaf of leavesAt(doc, parts)) {
      if (leaf.missing) values.push(null);
      else if (Array.isArray(leaf.value)) {
        isArray = true;
        if (leaf.value.length === 0) values.push(undefined);
        else values.push(...leaf.value);
      } else values.push(leaf.value);
    }
    if (values.length === 0) values.push(null);
    return { values, isArray: isArray || values.length > 1 };
  });
  const arrays = perField.filter((f) => f.isArray);
  if (arrays.length > 1) {
    const names = Object.keys(index.spec.key).filter((_, i) => perField[i].isArray);
    throw commandError(
      ErrorCode.CannotIndexParallelArrays,
      `cannot index parallel arrays [${names[1]}] [${names[0]}]`,
    );
  }
  let combos: unknown[][] = [[]];
  for (const field of perField) {
    const next: unknown[][] = [];
    for (const combo of combos) for (const value of field.values) next.push([...combo, value]);
    combos = next;
  }
  const seen = new Set<string>();
  const out: { key: string; values: unknown[] }[] = [];
  for (const values of combos) {
    const key = values.map(canonicalKey).join('\u0001');
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ key, values });
    }
  }
  return out;
}

export class Store {
  private readonly databases = new Map<string, Map<string, Collection>>();
  journal: Journal | undefined;

  databaseNames(): string[] {
    return [...this.databases.keys()];
  }

  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** The collection, created (and journalled) if it does not exist yet. */
  ensureCollection(db: string, name: string): { collection: Collection; created: boolean } {
    const existing = this.collection(db, name);
    if (existing) return { collection: existing, created: false };
    return { collection: this.createCollection(db, name, new UUID()), created: true };
  }

  createCollection(db: string, name: string, uuid: Binary): Collection {
    let colls = this.databases.get(db);
    if (!colls) {
      colls = new Map();
      this.databases.set(db, colls);
    }
    const collection = new Collection(db, name, uuid);
    colls.set(name, collection);
    this.record({ op: 'create', db, coll: name, uuid });
    return collection;
  }

  dropCollection(db: string, name: string): boolean {
    const colls = this.databases.get(db);
    if (!colls?.delete(name)) return false;
    if (colls.size === 0) this.databases.delete(db);
    this.record({ op: 'drop', db, coll: name });
    return true;
  }

  dropDatabase(db: string): void {
    if (this.databases.delete(db)) this.record({ op: 'dropDatabase', db });
  }

  insert(collection: Collection, doc: Document): void {
    collection.insert(doc);
    this.record({ op: 'insert', db: collection.db, coll: collection.name, doc });
  }

  replace(collection: Collection, previous: Document, next: Document): void {
    collection.replace(previous, next);
    this.record({ op: 'replace', db: collection.db, coll: collection.name, doc: next });
  }

  remove(collection: Collection, doc: Document): void {
    collection.remove(doc);
    this.record({ op: 'delete', db: collection.db, coll: collection.name, id: doc._id });
  }

  createIndex(collection: Collection, spec: IndexSpec): void {
    collection.addIndex(spec);
    this.record({ op: 'createIndex', db: collection.db, coll: collection.name, spec: { ...spec } });
  }

  dropIndex(collection: Collection, name: string): void {
    collection.dropIndex(name);
    this.record({ op: 'dropIndex', db: collection.db, coll: collection.name, name });
  }

  /** Deletes documents whose TTL index date has passed; returns how many. */
  expire(now: number): number {
    let removed = 0;
    for (const colls of [...this.databases.values()]) {
      for (const collection of [...colls.values()]) {
        for (const index of collection.indexes) {
          if (index.expireAfterSeconds === undefined) continue;
          const fields = Object.keys(index.key);
          if (fields.length !== 1) continue;
          const parts = splitPath(fields[0]);
          const ttlMs = index.expireAfterSeconds * 1000;
          for (const doc of [...collection.docs.values()]) {
            const dates: number[] = [];
            for (const leaf of leavesAt(doc, parts)) {
              const values = Array.isArray(leaf.value) ? leaf.value : [leaf.value];
              for (const v of values) if (v instanceof Date) dates.push(v.getTime());
            }
            if (dates.length > 0 && Math.min(...dates) + ttlMs <= now && collection.byId(doc._id) === doc) {
              this.remove(collection, doc);
              removed++;
            }
          }
        }
      }
    }
    return removed;
  }

  /** Records that rebuild the current state (for compacting the data file). */
  *snapshot(): Generator<MutationRecord> {
    for (const [db, colls] of this.databases) {
      for (const collection of colls.values()) {
        yield { op: 'create', db, coll: collection.name, uuid: collection.uuid };
        for (const spec of collection.indexes) {
          if (spec.name !== ID_INDEX.name) yield { op: 'createIndex', db, coll: collection.name, spec };
        }
        for (const doc of collection.docs.values()) yield { op: 'insert', db, coll: collection.name, doc };
      }
    }
  }

  /** Replays one journal record (without journalling it again). */
  apply(record: Document): void {
    const db = String(record.db);
    const coll = String(record.coll);
    const journal = this.journal;
    this.journal = undefined;
    try {
      switch (record.op) {
        case 'create':
          if (!this.collection(db, coll)) this.createCollection(db, coll, record.uuid as Binary);
          break;
        case 'drop':
          this.dropCollection(db, coll);
          break;
        case 'dropDatabase':
          this.dropDatabase(db);
          break;
        case 'insert':
          this.insert(this.ensureCollection(db, coll).collection, record.doc as Document);
          break;
        case 'replace': {
          const collection = this.ensureCollection(db, coll).collection;
          const doc = record.doc as Document;
          const previous = collection.byId(doc._id);
          if (previous) this.replace(collection, previous, doc);
          else this.insert(collection, doc);
          break;
        }
        case 'delete': {
          const collection = this.collection(db, coll);
          const doc = collection?.byId(record.id);
          if (collection && doc) this.remove(collection, doc);
          break;
        }
        case 'createIndex': {
          const collection = this.ensureCollection(db, coll).collection;
          const spec = record.spec as Document;
          if (!collection.findIndex(String(spec.name))) this.createIndex(collection, toIndexSpec(spec));
          break;
        }
        case 'dropIndex': {
          const collection = this.collection(db, coll);
          if (collection) this.dropIndex(collection, String(record.name));
          break;
        }
        default:
          throw new Error(`unknown data-file record ${String(record.op)}`);
      }
    } finally {
      this.journal = journal;
    }
  }

  private record(record: MutationRecord): void {
    this.journal?.append(record);
  }
}

/** An index spec read back from the data file. */
function toIndexSpec(doc: Document): IndexSpec {
  const spec: IndexSpec = { v: toJsNumber(doc.v) ?? 2, key: doc.key as Document, name: String(doc.name) };
  if (doc.unique === true) spec.unique = true;
  if (hasField(doc, 'expireAfterSeconds')) spec.expireAfterSeconds = toJsNumber(doc.expireAfterSeconds);
  return spec;
}
