/**
 * `createIndexes`, `listIndexes`, `dropIndexes`. Indexes are ascending/descending single-field or
 * compound keys; `unique` is enforced, `expireAfterSeconds` is recorded and the TTL monitor honours
 * it. Other index kinds and options are rejected by name.
 */
import { Int32, type Document } from 'bson';
import { commandError, ErrorCode, notImplemented } from '../errors';
import { ID_INDEX, type Collection, type IndexSpec } from '../store';
import { formatValue, hasField, isDocument, isNumber, isTruthy, toJsNumber, valuesEqual } from '../values';
import {
  checkFields,
  collectionArg,
  nsOf,
  ok,
  optionalDocument,
  optionalInteger,
  requiredArray,
} from './args';
import type { CommandContext, CommandDefinition } from './context';

const SPEC_ACCEPTED = ['key', 'name', 'unique', 'expireAfterSeconds', 'background', 'v', 'ns'];
const SPEC_UNSUPPORTED = [
  'sparse',
  'partialFilterExpression',
  'collation',
  'hidden',
  'weights',
  'default_language',
  'language_override',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
  'bucketSize',
  'storageEngine',
  'wildcardProjection',
  'clustered',
  'prepareUnique',
];

const MAX_TTL_SECONDS = 2147483647;

function parseSpec(raw: unknown, ctx: CommandContext, collection: string): IndexSpec {
  if (!isDocument(raw)) throw commandError(ErrorCode.TypeMismatch, 'index specifications must be objects');
  checkFields(raw, 'createIndexes.indexes', SPEC_ACCEPTED, SPEC_UNSUPPORTED, false);
  const key = raw.key;
  if (!isDocument(key))
    throw commandError(
      ErrorCode.FailedToParse,
      "The 'key' field is a required property of an index specification",
    );
  const fields = Object.keys(key);
  if (fields.length === 0) throw commandError(ErrorCode.CannotCreateIndex, 'Index keys cannot be empty.');
  for (const field of fields) {
    const direction = key[field];
    if (typeof direction === 'string') throw notImplemented(`'${direction}' indexes (field '${field}')`);
    if (!isNumber(direction) || toJsNumber(direction) === 0 || Number.isNaN(toJsNumber(direction))) {
      throw commandError(
        ErrorCode.CannotCreateIndex,
        `Values in the index key pattern can only be of numeric type or string type, and numeric values must be non-zero: ${formatValue(key)}`,
      );
    }
    if (field === '' || field.split('.').includes('') || field.startsWith('$')) {
      throw commandError(ErrorCode.CannotCreateIndex, `Index key contains an illegal field name: '${field}'`);
    }
  }
  if (typeof raw.name !== 'string' || raw.name.length === 0) {
    throw commandError(
      ErrorCode.FailedToParse,
      "The 'name' field is a required property of an index specification",
    );
  }
  if (raw.ns !== undefined && raw.ns !== nsOf(ctx, collection)) {
    throw commandError(
      ErrorCode.BadValue,
      `The 'ns' field of an index specification must be ${nsOf(ctx, collection)}`,
    );
  }
  const version = raw.v === undefined ? 2 : toJsNumber(raw.v);
  if (version !== 2 && version !== 1)
    throw commandError(ErrorCode.CannotCreateIndex, `Invalid index specification; v: ${String(raw.v)}`);
  const spec: IndexSpec = { v: version, key, name: raw.name };
  const isIdIndex = fields.length === 1 && fields[0] === '_id';
  if (hasField(raw, 'unique') && isTruthy(raw.unique)) {
    if (isIdIndex)
      throw commandError(
        ErrorCode.CannotCreateIndex,
        "The field 'unique' is not valid for an _id index specification.",
      );
    spec.unique = true;
  }
  if (hasField(raw, 'expireAfterSeconds')) {
    const seconds = toJsNumber(raw.expireAfterSeconds);
    if (seconds === undefined || !Number.isInteger(seconds) || seconds < 0 || seconds > MAX_TTL_SECONDS) {
      throw commandError(
        ErrorCode.CannotCreateIndex,
        `TTL index 'expireAfterSeconds' option must be within an acceptable range, try a value between 0 and ${MAX_TTL_SECONDS}`,
      );
    }
    if (fields.length > 1) {
      throw commandError(
        ErrorCode.CannotCreateIndex,
        'TTL indexes are single-field indexes, compound indexes do not support TTL.',
      );
    }
    if (isIdIndex) {
      throw commandError(
        ErrorCode.CannotCreateIndex,
        "The field 'expireAfterSeconds' is not valid for an _id index specification.",
      );
    }
    spec.expireAfterSeconds = seconds;
  }
  return spec;
}

function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  return Boolean(a.unique) === Boolean(b.unique) && a.expireAfterSeconds === b.expireAfterSeconds;
}

/** Whether `spec` already exists (true), is new (false), or conflicts with an existing index (throws). */
function alreadyExists(collection: Collection | undefined, spec: IndexSpec, pending: IndexSpec[]): boolean {
  const existing = [...(collection?.indexes ?? [ID_INDEX]), ...pending];
  for (const index of existing) {
    const sameKey =
      valuesEqual(index.key, spec.key) && Object.keys(index.key).join() === Object.keys(spec.key).join();
    if (index.name === spec.name) {
      if (sameKey && sameOptions(index, spec)) return true;
      if (sameKey) {
        throw commandError(
          ErrorCode.IndexOptionsConflict,
          `An equivalent index already exists with the same name but different options. Requested index: ${formatValue(spec)}, existing index: ${formatValue(index)}`,
        );
      }
      throw commandError(
        ErrorCode.IndexKeySpecsConflict,
        `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatValue(spec)}, existing index: ${formatValue(index)}`,
      );
    }
    if (sameKey) {
      if (
        index.name === ID_INDEX.name &&
        spec.unique === undefined &&
        spec.expireAfterSeconds === undefined
      ) {
        return true;
      }
      throw commandError(
        ErrorCode.IndexOptionsConflict,
        `Index already exists with a different name: ${index.name}`,
      );
    }
  }
  return false;
}

function createIndexes(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const raw = requiredArray(cmd, 'indexes', 'createIndexes');
  if (raw.length === 0) throw commandError(ErrorCode.BadValue, 'Must specify at least one index to create');
  const existing = ctx.store.collection(ctx.db, name);
  const specs: IndexSpec[] = [];
  for (const item of raw) {
    const spec = parseSpec(item, ctx, name);
    if (!alreadyExists(existing, spec, specs)) specs.push(spec);
  }
  const { collection, created } = ctx.store.ensureCollection(ctx.db, name);
  const before = collection.indexes.length;
  const added: string[] = [];
  try {
    for (const spec of specs) {
      ctx.store.createIndex(collection, spec);
      added.push(spec.name);
    }
  } catch (err) {
    for (const indexName of added) ctx.store.dropIndex(collection, indexName);
    throw err;
  }
  const reply: Document = {
    numIndexesBefore: new Int32(before),
    numIndexesAfter: new Int32(collection.indexes.length),
    createdCollectionAutomatically: created,
  };
  if (specs.length === 0) reply.note = 'all indexes already exist';
  return ok(reply);
}

function listIndexes(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const cursorOptions = optionalDocument(cmd, 'cursor', 'listIndexes') ?? {};
  const batchSize = optionalInteger(cursorOptions, 'batchSize', 'listIndexes.cursor');
  const collection = ctx.store.collection(ctx.db, name);
  if (!collection) throw commandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${nsOf(ctx, name)}`);
  const docs = collection.indexes.map((spec) => ({ ...spec, v: new Int32(spec.v) }));
  return ok({ cursor: ctx.cursors.firstBatch(collection.ns, docs, { batchSize }) });
}

function dropIndexes(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  if (!hasField(cmd, 'index'))
    throw commandError(40414, "BSON field 'dropIndexes.index' is missing but a required field");
  const collection = ctx.store.collection(ctx.db, name);
  if (!collection) throw commandError(ErrorCode.NamespaceNotFound, `ns not found ${nsOf(ctx, name)}`);
  const nIndexesWas = collection.indexes.length;
  const target = cmd.index;
  let names: string[];
  if (target === '*') {
    names = collection.indexes.filter((i) => i.name !== ID_INDEX.name).map((i) => i.name);
  } else if (typeof target === 'string') {
    names = [target];
  } else if (Array.isArray(target) && target.every((t) => typeof t === 'string')) {
    names = target as string[];
  } else if (isDocument(target)) {
    const match = collection.indexes.find(
      (i) => valuesEqual(i.key, target) && Object.keys(i.key).join() === Object.keys(target).join(),
    );
    if (!match)
      throw commandError(ErrorCode.IndexNotFound, `can't find index with key: ${formatValue(target)}`);
    names = [match.name];
  } else {
    throw commandError(
      ErrorCode.TypeMismatch,
      "dropIndexes 'index' must be a name, an array of names, a key pattern or '*'",
    );
  }
  for (const indexName of names) {
    if (indexName === ID_INDEX.name) throw commandError(ErrorCode.InvalidOptions, 'cannot drop _id index');
    if (!collection.findIndex(indexName)) {
      throw commandError(ErrorCode.IndexNotFound, `index not found with name [${indexName}]`);
    }
  }
  for (const indexName of names) ctx.store.dropIndex(collection, indexName);
  return ok({ nIndexesWas: new Int32(nIndexesWas) });
}

export const indexCommands: Record<string, CommandDefinition> = {
  createIndexes: {
    handler: createIndexes,
    accepted: ['indexes', 'commitQuorum'],
    writeConcern: true,
  },
  listIndexes: { handler: listIndexes, accepted: ['cursor'] },
  dropIndexes: { handler: dropIndexes, accepted: ['index'], writeConcern: true },
  deleteIndexes: { handler: dropIndexes, accepted: ['index'], writeConcern: true },
};
