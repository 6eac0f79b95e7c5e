/** `find`, `getMore`, `killCursors`. */
import { Long, type Document } from 'bson';
import { commandError, ErrorCode, notImplemented } from '../errors';
import { compileProjection } from '../projection';
import { compileFilter } from '../query';
import { compileSort } from '../sort';
import { hasField, isDocument, typeName } from '../values';
import {
  collectionArg,
  missingField,
  nsOf,
  ok,
  optionalBoolean,
  optionalDocument,
  optionalInteger,
  rejectIfTrue,
  requiredArray,
} from './args';
import type { CommandContext, CommandDefinition } from './context';
import { selectDocuments } from './documents';

function find(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const filter = optionalDocument(cmd, 'filter', 'find');
  const projection = compileProjection(optionalDocument(cmd, 'projection', 'find'));
  const sort = compileSort(optionalDocument(cmd, 'sort', 'find'));
  const skip = optionalInteger(cmd, 'skip', 'find') ?? 0;
  const limit = optionalInteger(cmd, 'limit', 'find') ?? 0;
  const batchSize = optionalInteger(cmd, 'batchSize', 'find');
  const singleBatch = optionalBoolean(cmd, 'singleBatch', 'find') ?? false;
  if (hasField(cmd, 'hint') && !(isDocument(cmd.hint) && Object.keys(cmd.hint).length === 0)) {
    throw notImplemented("find option 'hint'");
  }
  rejectIfTrue(cmd, ['returnKey', 'showRecordId', 'tailable', 'awaitData', 'oplogReplay'], 'find');
  const predicate = compileFilter(filter);

  const collection = ctx.store.collection(ctx.db, name);
  const unbounded = sort !== undefined || skip > 0;
  let docs = selectDocuments(collection, filter, predicate, unbounded || limit === 0 ? Infinity : limit);
  if (sort) docs.sort(sort);
  if (skip > 0 || limit > 0) docs = docs.slice(skip, limit > 0 ? skip + limit : undefined);
  if (projection) docs = docs.map(projection);
  const cursor = ctx.cursors.firstBatch(nsOf(ctx, name), docs, { batchSize, singleBatch });
  return ok({ cursor });
}

function getMore(cmd: Document, ctx: CommandContext): Document {
  const id = cmd.getMore;
  if (!(id instanceof Long)) {
    throw commandError(
      ErrorCode.TypeMismatch,
      `BSON field 'getMore.getMore' is the wrong type '${typeName(id)}', expected type 'long'`,
    );
  }
  if (!hasField(cmd, 'collection')) throw missingField('getMore', 'collection');
  if (typeof cmd.collection !== 'string') {
    throw commandError(
      ErrorCode.TypeMismatch,
      `BSON field 'getMore.collection' is the wrong type '${typeName(cmd.collection)}', expected type 'string'`,
    );
  }
  const batchSize = optionalInteger(cmd, 'batchSize', 'getMore');
  const cursor = ctx.cursors.get(id.toBigInt());
  if (!cursor) throw commandError(ErrorCode.CursorNotFound, `cursor id ${id.toString()} not found`);
  const ns = nsOf(ctx, cmd.collection);
  if (cursor.ns !== ns) {
    throw commandError(
      ErrorCode.Unauthorized,
      `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
    );
  }
  return ok({ cursor: ctx.cursors.nextBatch(cursor, batchSize === 0 ? undefined : batchSize) });
}

function killCursors(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const ids = requiredArray(cmd, 'cursors', 'killCursors');
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const id of ids) {
    if (!(id instanceof Long)) {
      throw commandError(ErrorCode.TypeMismatch, `killCursors cursor ids must be longs, not ${typeName(id)}`);
    }
    const cursor = ctx.cursors.get(id.toBigInt());
    if (cursor && cursor.ns === nsOf(ctx, name)) {
      ctx.cursors.kill(id.toBigInt());
      killed.push(id);
    } else {
      notFound.push(id);
    }
  }
  return ok({ cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] });
}

export const readCommands: Record<string, CommandDefinition> = {
  find: {
    handler: find,
    accepted: [
      'filter',
      'projection',
      'sort',
      'skip',
      'limit',
      'batchSize',
      'singleBatch',
      'hint',
      'allowDiskUse',
      'noCursorTimeout',
      'allowPartialResults',
      'returnKey',
      'showRecordId',
      'tailable',
      'awaitData',
      'oplogReplay',
    ],
    unsupported: ['collation', 'let', 'min', 'max', 'readOnce', 'term', 'ntoreturn'],
    readConcern: true,
  },
  getMore: {
    handler: getMore,
    accepted: ['collection', 'batchSize'],
    unsupported: ['term', 'lastKnownCommittedOpTime'],
  },
  killCursors: { handler: killCursors, accepted: ['cursors'] },
};
