/** `findAndModify`: update, replace or remove one document and return it (before or after). */
import { Int32, type Document } from 'bson';
import { commandError, ErrorCode } from '../errors';
import { compileProjection } from '../projection';
import { compileFilter } from '../query';
import { compileSort } from '../sort';
import { applyUpdate, compileUpdate, upsertDocument } from '../update';
import { hasField } from '../values';
import { collectionArg, ok, optionalBoolean, optionalDocument } from './args';
import type { CommandContext, CommandDefinition } from './context';
import { checkInsertable, checkUpdated, sameBson, selectDocuments } from './documents';

function findAndModify(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const query = optionalDocument(cmd, 'query', 'findAndModify') ?? {};
  const remove = optionalBoolean(cmd, 'remove', 'findAndModify') ?? false;
  const returnNew = optionalBoolean(cmd, 'new', 'findAndModify') ?? false;
  const upsert = optionalBoolean(cmd, 'upsert', 'findAndModify') ?? false;
  const hasUpdate = hasField(cmd, 'update') && cmd.update !== null;
  if (remove && hasUpdate) {
    throw commandError(ErrorCode.FailedToParse, 'Cannot specify both an update and remove=true');
  }
  if (remove && upsert)
    throw commandError(ErrorCode.FailedToParse, 'Cannot specify both upsert=true and remove=true');
  if (remove && returnNew) {
    throw commandError(
      ErrorCode.FailedToParse,
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  }
  if (!remove && !hasUpdate)
    throw commandError(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified');

  const predicate = compileFilter(query);
  const sort = compileSort(optionalDocument(cmd, 'sort', 'findAndModify'));
  const projection = compileProjection(optionalDocument(cmd, 'fields', 'findAndModify'));
  const update = hasUpdate ? compileUpdate(cmd.update) : undefined;
  const project = (doc: Document | null): Document | null => (doc && projection ? projection(doc) : doc);

  const collection = ctx.store.collection(ctx.db, name);
  let candidates = selectDocuments(collection, query, predicate, sort ? Infinity : 1);
  if (sort) candidates = candidates.sort(sort);
  const target = candidates[0];

  if (remove || !update) {
    if (!collection || !target) return ok({ lastErrorObject: { n: new Int32(0) }, value: null });
    ctx.store.remove(collection, target);
    return ok({ lastErrorObject: { n: new Int32(1) }, value: project(target) });
  }
  if (collection && target) {
    const next = applyUpdate(update, target, false);
    checkUpdated(next);
    if (!sameBson(target, next)) ctx.store.replace(collection, target, next);
    return ok({
      lastErrorObject: { n: new Int32(1), updatedExisting: true },
      value: project(returnNew ? next : target),
    });
  }
  if (!upsert) return ok({ lastErrorObject: { n: new Int32(0), updatedExisting: false }, value: null });
  const doc = upsertDocument(query, update);
  checkInsertable(doc);
  ctx.store.insert(ctx.store.ensureCollection(ctx.db, name).collection, doc);
  return ok({
    lastErrorObject: { n: new Int32(1), updatedExisting: false, upserted: doc._id },
    value: returnNew ? project(doc) : null,
  });
}

export const findAndModifyCommands: Record<string, CommandDefinition> = {
  findAndModify: {
    handler: findAndModify,
    accepted: ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert', 'bypassDocumentValidation'],
    unsupported: ['collation', 'arrayFilters', 'hint', 'let'],
    writeConcern: true,
  },
};
