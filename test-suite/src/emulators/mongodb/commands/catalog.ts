/** `create`, `drop`, `dropDatabase`, `listCollections`, `listDatabases`. */
import { Double, Int32, type Document } from 'bson';
import { commandError, ErrorCode } from '../errors';
import { compileFilter } from '../query';
import { ID_INDEX, type Collection } from '../store';
import { encodeDocument } from '../wire';
import { collectionArg, ok, optionalBoolean, optionalDocument, optionalInteger } from './args';
import type { CommandContext, CommandDefinition } from './context';

/** Collection options MongoDB has; the emulator creates only plain collections. */
const CREATE_UNSUPPORTED = [
  'capped',
  'size',
  'max',
  'autoIndexId',
  'storageEngine',
  'validator',
  'validationLevel',
  'validationAction',
  'indexOptionDefaults',
  'viewOn',
  'pipeline',
  'collation',
  'timeseries',
  'expireAfterSeconds',
  'clusteredIndex',
  'changeStreamPreAndPostImages',
  'encryptedFields',
  'idIndex',
  'recordPreImages',
  'temp',
  'flags',
];

function create(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  if (ctx.store.collection(ctx.db, name)) {
    // mongod before 7.0 refuses; 7.0 accepts identical options. The emulator takes the stricter rule.
    throw commandError(ErrorCode.NamespaceExists, `Collection ${ctx.db}.${name} already exists.`);
  }
  ctx.store.ensureCollection(ctx.db, name);
  return ok();
}

function drop(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const collection = ctx.store.collection(ctx.db, name);
  // mongod 7.0 answers ok for a missing collection; earlier versions (and the emulator) answer 26.
  if (!collection) throw commandError(ErrorCode.NamespaceNotFound, 'ns not found');
  const nIndexesWas = collection.indexes.length;
  ctx.store.dropCollection(ctx.db, name);
  return ok({ nIndexesWas: new Int32(nIndexesWas), ns: collection.ns });
}

function dropDatabase(_cmd: Document, ctx: CommandContext): Document {
  ctx.store.dropDatabase(ctx.db);
  return ok();
}

function collectionInfo(collection: Collection, nameOnly: boolean): Document {
  if (nameOnly) return { name: collection.name, type: 'collection' };
  return {
    name: collection.name,
    type: 'collection',
    options: {},
    info: { readOnly: false, uuid: collection.uuid },
    idIndex: { ...ID_INDEX },
  };
}

function listCollections(cmd: Document, ctx: CommandContext): Document {
  const filter = optionalDocument(cmd, 'filter', 'listCollections');
  const nameOnly = optionalBoolean(cmd, 'nameOnly', 'listCollections') ?? false;
  optionalBoolean(cmd, 'authorizedCollections', 'listCollections');
  const cursorOptions = optionalDocument(cmd, 'cursor', 'listCollections') ?? {};
  const batchSize = optionalInteger(cursorOptions, 'batchSize', 'listCollections.cursor');
  const predicate = compileFilter(filter);
  const docs = ctx.store
    .collections(ctx.db)
    .map((c) => collectionInfo(c, nameOnly))
    .filter((info) => predicate(info));
  return ok({ cursor: ctx.cursors.firstBatch(`${ctx.db}.$cmd.listCollections`, docs, { batchSize }) });
}

function listDatabases(cmd: Document, ctx: CommandContext): Document {
  if (ctx.db !== 'admin') {
    throw commandError(ErrorCode.Unauthorized, 'listDatabases may only be run against the admin database.');
  }
  const nameOnly = optionalBoolean(cmd, 'nameOnly', 'listDatabases') ?? false;
  optionalBoolean(cmd, 'authorizedDatabases', 'listDatabases');
  const predicate = compileFilter(optionalDocument(cmd, 'filter', 'listDatabases'));
  let total = 0;
  const databases: Document[] = [];
  for (const name of ctx.store.databaseNames()) {
    let size = 0;
    for (const collection of ctx.store.collections(name)) {
      for (const doc of collection.docs.values()) size += encodeDocument(doc).length;
    }
    const info: Document = nameOnly
      ? { name }
      : { name, sizeOnDisk: new Double(size), empty: ctx.store.collections(name).every((c) => c.size === 0) };
    if (!predicate(info)) continue;
    total += size;
    databases.push(info);
  }
  if (nameOnly) return ok({ databases });
  return ok({
    databases,
    totalSize: new Double(total),
    totalSizeMb: new Double(Math.floor(total / 1048576)),
  });
}

export const catalogCommands: Record<string, CommandDefinition> = {
  create: { handler: create, accepted: [], unsupported: CREATE_UNSUPPORTED, writeConcern: true },
  drop: { handler: drop, accepted: [], writeConcern: true },
  dropDatabase: { handler: dropDatabase, accepted: [], writeConcern: true },
  listCollections: {
    handler: listCollections,
    accepted: ['filter', 'nameOnly', 'authorizedCollections', 'cursor'],
  },
  listDatabases: { handler: listDatabases, accepted: ['filter', 'nameOnly', 'authorizedDatabases'] },
};
