/** Reading and checking command fields, with MongoDB's error codes and messages. */
import { Double, type Document } from 'bson';
import { commandError, ErrorCode, notImplemented } from '../errors';
import { hasField, isDocument, isNumber, isTruthy, toJsNumber, typeName } from '../values';
import type { CommandContext } from './context';

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const MAX_WRITE_BATCH_SIZE = 100_000;

/** Adds `ok: 1.0` (a double, as mongod sends it). */
export function ok(reply: Document = {}): Document {
  return { ...reply, ok: new Double(1) };
}

export function commandName(cmd: Document): string {
  return Object.keys(cmd)[0];
}

/** Field-by-field checks: every field must be one the command knows. */
export function checkFields(
  cmd: Document,
  what: string,
  accepted: readonly string[],
  unsupported: readonly string[] = [],
  skipFirst = true,
): void {
  const keys = Object.keys(cmd);
  for (let i = skipFirst ? 1 : 0; i < keys.length; i++) {
    const key = keys[i];
    if (accepted.includes(key)) continue;
    if (unsupported.includes(key)) throw notImplemented(`${what} option '${key}'`);
    throw commandError(40415, `BSON field '${what}.${key}' is an unknown field.`);
  }
}

export function missingField(what: string, field: string) {
  return commandError(40414, `BSON field '${what}.${field}' is missing but a required field`);
}

function wrongType(what: string, field: string, value: unknown, expected: string) {
  return commandError(
    ErrorCode.TypeMismatch,
    `BSON field '${what}.${field}' is the wrong type '${typeName(value)}', expected type '${expected}'`,
  );
}

export function optionalInteger(cmd: Document, field: string, what: string, min = 0): number | undefined {
  if (!hasField(cmd, field)) return undefined;
  const value = cmd[field];
  if (!isNumber(value)) throw wrongType(what, field, value, '[long, int, decimal, double]');
  const n = Math.trunc(toJsNumber(value) ?? 0);
  if (n < min) {
    throw commandError(51024, `BSON field '${field}' value must be >= ${min}, actual value '${n}'`);
  }
  return n;
}

export function optionalBoolean(cmd: Document, field: string, what: string): boolean | undefined {
  if (!hasField(cmd, field)) return undefined;
  const value = cmd[field];
  if (typeof value !== 'boolean' && !isNumber(value) && value !== null) {
    throw wrongType(what, field, value, 'bool');
  }
  return isTruthy(value);
}

export function optionalDocument(cmd: Document, field: string, what: string): Document | undefined {
  if (!hasField(cmd, field) || cmd[field] === null) return undefined;
  const value = cmd[field];
  if (!isDocument(value)) throw wrongType(what, field, value, 'object');
  return value;
}

export function requiredArray(cmd: Document, field: string, what: string): unknown[] {
  if (!hasField(cmd, field)) throw missingField(what, field);
  const value = cmd[field];
  if (!Array.isArray(value)) throw wrongType(what, field, value, 'array');
  return value;
}

/** Flags MongoDB has that must stay off here (accepted when false). */
export function rejectIfTrue(cmd: Document, fields: readonly string[], what: string): void {
  for (const field of fields) {
    if (hasField(cmd, field) && isTruthy(cmd[field])) throw notImplemented(`${what} option '${field}: true'`);
  }
}

const INVALID_DB_CHARS = /[/\\. "$*<>:|?\0]/;

export function checkDatabaseName(db: unknown): string {
  if (typeof db !== 'string' || db.length === 0 || db.length >= 64 || INVALID_DB_CHARS.test(db)) {
    throw commandError(ErrorCode.InvalidNamespace, `Invalid database name: '${String(db)}'`);
  }
  return db;
}

/** The collection named by the command's first field (a string), checked like mongod does. */
export function collectionArg(cmd: Document, ctx: CommandContext): string {
  const name = cmd[commandName(cmd)];
  if (typeof name !== 'string') {
    throw commandError(ErrorCode.InvalidNamespace, `collection name has invalid type ${typeName(name)}`);
  }
  return checkCollectionName(name, ctx.db);
}

export function checkCollectionName(name: string, db: string): string {
  if (name.length === 0 || name.includes('\0') || name.startsWith('.') || name.includes('$')) {
    throw commandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${db}.${name}'`);
  }
  if (name.startsWith('system.')) throw notImplemented(`system collections ('${name}')`);
  return name;
}

export function nsOf(ctx: CommandContext, collection: string): string {
  return `${ctx.db}.${collection}`;
}
