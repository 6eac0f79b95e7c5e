/**
 * The write commands `insert`, `update`, `delete`: batches of statements, `ordered` (stop at the
 * first failing statement) or not, failures reported per statement in `writeErrors`. Every filter
 * and update of a batch is compiled before anything is applied, so a batch using an unsupported
 * operator is rejected whole.
 */
import { Int32, type Document } from 'bson';
import { commandError, ErrorCode, MongoCommandError } from '../errors';
import { compileFilter, type Predicate } from '../query';
import { applyUpdate, compileUpdate, upsertDocument, withIdFirst, type CompiledUpdate } from '../update';
import { hasField, isDocument, isTruthy, toJsNumber } from '../values';
import {
  checkFields,
  collectionArg,
  MAX_WRITE_BATCH_SIZE,
  missingField,
  ok,
  optionalBoolean,
  requiredArray,
} from './args';
import type { CommandContext, CommandDefinition } from './context';
import { checkInsertable, checkUpdated, sameBson, selectDocuments } from './documents';

function checkBatchSize(count: number): void {
  if (count < 1 || count > MAX_WRITE_BATCH_SIZE) {
    throw commandError(
      16,
      `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH_SIZE}. Got ${count} operations.`,
    );
  }
}

/** Runs statements in order, collecting write errors; `ordered` stops at the first. */
function runStatements<T>(
  statements: readonly T[],
  ordered: boolean,
  run: (statement: T, index: number) => void,
): Document[] {
  const writeErrors: Document[] = [];
  for (let i = 0; i < statements.length; i++) {
    try {
      run(statements[i], i);
    } catch (err) {
      if (!(err instanceof MongoCommandError) || err.unsupported) throw err;
      writeErrors.push(err.toWriteError(i));
      if (ordered) break;
    }
  }
  return writeErrors;
}

function withWriteErrors(reply: Document, writeErrors: Document[]): Document {
  if (writeErrors.length > 0) reply.writeErrors = writeErrors;
  return ok(reply);
}

function insert(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const documents = requiredArray(cmd, 'documents', 'insert');
  const ordered = optionalBoolean(cmd, 'ordered', 'insert') ?? true;
  checkBatchSize(documents.length);
  for (const doc of documents) {
    if (!isDocument(doc)) throw commandError(ErrorCode.TypeMismatch, 'insert documents must be objects');
  }
  const { collection } = ctx.store.ensureCollection(ctx.db, name);
  let n = 0;
  const writeErrors = runStatements(documents as Document[], ordered, (doc) => {
    const stored = withIdFirst(doc);
    checkInsertable(stored);
    ctx.store.insert(collection, stored);
    n++;
  });
  return withWriteErrors({ n: new Int32(n) }, writeErrors);
}

interface UpdateStatement {
  filter: Document;
  predicate: Predicate;
  update: CompiledUpdate;
  upsert: boolean;
  multi: boolean;
}

const UPDATE_STATEMENT_FIELDS = ['q', 'u', 'upsert', 'multi'];
const UPDATE_STATEMENT_UNSUPPORTED = ['collation', 'arrayFilters', 'hint', 'c', 'sort', 'upsertSupplied'];

/** Compiles one update statement; a MongoDB-level error becomes that statement's write error. */
function compileUpdateStatement(raw: unknown): UpdateStatement | MongoCommandError {
  try {
    if (!isDocument(raw)) throw commandError(ErrorCode.TypeMismatch, 'update statements must be objects');
    checkFields(raw, 'update.updates', UPDATE_STATEMENT_FIELDS, UPDATE_STATEMENT_UNSUPPORTED, false);
    if (!hasField(raw, 'q')) throw missingField('update.updates', 'q');
    if (!hasField(raw, 'u')) throw missingField('update.updates', 'u');
    if (!isDocument(raw.q))
      throw commandError(ErrorCode.TypeMismatch, 'the update filter (q) must be an object');
    const update = compileUpdate(raw.u);
    const multi = isTruthy(raw.multi ?? false);
    if (multi && update.kind === 'replacement') {
      throw commandError(
        ErrorCode.FailedToParse,
        'multi update is not supported for replacement-style update',
      );
    }
    return {
      filter: raw.q,
      predicate: compileFilter(raw.q),
      update,
      upsert: isTruthy(raw.upsert ?? false),
      multi,
    };
  } catch (err) {
    if (err instanceof MongoCommandError && !err.unsupported) return err;
    throw err;
  }
}

function update(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const updates = requiredArray(cmd, 'updates', 'update');
  const ordered = optionalBoolean(cmd, 'ordered', 'update') ?? true;
  checkBatchSize(updates.length);
  const statements = updates.map(compileUpdateStatement);
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const writeErrors = runStatements(statements, ordered, (statement, index) => {
    if (statement instanceof MongoCommandError) throw statement;
    const collection = ctx.store.collection(ctx.db, name);
    const limit = statement.multi ? Infinity : 1;
    const matches = selectDocuments(collection, statement.filter, statement.predicate, limit);
    if (!collection || matches.length === 0) {
      if (!statement.upsert) return;
      const doc = upsertDocument(statement.filter, statement.update);
      checkInsertable(doc);
      ctx.store.insert(ctx.store.ensureCollection(ctx.db, name).collection, doc);
      n++;
      upserted.push({ index: new Int32(index), _id: doc._id });
      return;
    }
    for (const doc of matches) {
      const next = applyUpdate(statement.update, doc, false);
      checkUpdated(next);
      n++;
      if (!sameBson(doc, next)) {
        ctx.store.replace(collection, doc, next);
        nModified++;
      }
    }
  });
  const reply: Document = { n: new Int32(n), nModified: new Int32(nModified) };
  if (upserted.length > 0) reply.upserted = upserted;
  return withWriteErrors(reply, writeErrors);
}

interface DeleteStatement {
  filter: Document;
  predicate: Predicate;
  limit: number;
}

function compileDeleteStatement(raw: unknown): DeleteStatement | MongoCommandError {
  try {
    if (!isDocument(raw)) throw commandError(ErrorCode.TypeMismatch, 'delete statements must be objects');
    checkFields(raw, 'delete.deletes', ['q', 'limit'], ['collation', 'hint'], false);
    if (!hasField(raw, 'q')) throw missingField('delete.deletes', 'q');
    if (!hasField(raw, 'limit')) throw missingField('delete.deletes', 'limit');
    if (!isDocument(raw.q))
      throw commandError(ErrorCode.TypeMismatch, 'the delete filter (q) must be an object');
    const limit = toJsNumber(raw.limit);
    if (limit !== 0 && limit !== 1) {
      throw commandError(
        ErrorCode.FailedToParse,
        `The limit field in delete objects must be 0 or 1. Got ${String(limit ?? raw.limit)}`,
      );
    }
    return { filter: raw.q, predicate: compileFilter(raw.q), limit };
  } catch (err) {
    if (err instanceof MongoCommandError && !err.unsupported) return err;
    throw err;
  }
}

function remove(cmd: Document, ctx: CommandContext): Document {
  const name = collectionArg(cmd, ctx);
  const deletes = requiredArray(cmd, 'deletes', 'delete');
  const ordered = optionalBoolean(cmd, 'ordered', 'delete') ?? true;
  checkBatchSize(deletes.length);
  const statements = deletes.map(compileDeleteStatement);
  let n = 0;
  const writeErrors = runStatements(statements, ordered, (statement) => {
    if (statement instanceof MongoCommandError) throw statement;
    const collection = ctx.store.collection(ctx.db, name);
    if (!collection) return;
    const limit = statement.limit === 1 ? 1 : Infinity;
    for (const doc of selectDocuments(collection, statement.filter, statement.predicate, limit)) {
      ctx.store.remove(collection, doc);
      n++;
    }
  });
  return withWriteErrors({ n: new Int32(n) }, writeErrors);
}

export const writeCommands: Record<string, CommandDefinition> = {
  insert: {
    handler: insert,
    accepted: ['documents', 'ordered', 'bypassDocumentValidation'],
    writeConcern: true,
  },
  update: {
    handler: update,
    accepted: ['updates', 'ordered', 'bypassDocumentValidation'],
    unsupported: ['let'],
    writeConcern: true,
  },
  delete: {
    handler: remove,
    accepted: ['deletes', 'ordered'],
    unsupported: ['let'],
    writeConcern: true,
  },
};
