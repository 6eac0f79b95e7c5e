import type { Document } from 'bson';

/** The server error codes the emulator uses, with MongoDB's code names (src/mongo/base/error_codes.yml). */
export const ErrorCode = {
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  InvalidBSON: 22,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  NotSingleValueField: 54,
  EmptyFieldName: 56,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CannotIndexParallelArrays: 171,
  UnsupportedOpQueryCommand: 352,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
} as const;

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** MongoDB names codes without an entry in error_codes.yml `Location<code>`. */
export function codeNameOf(code: number): string {
  return codeNames.get(code) ?? `Location${code}`;
}

/** Prefix of every message about a feature the emulator deliberately lacks. */
export const NOT_IMPLEMENTED = 'mongodb-emulator does not implement';

/**
 * A command failure: becomes `{ ok: 0, errmsg, code, codeName, ...extra }`, or one entry of a write
 * command's `writeErrors`.
 */
export class MongoCommandError extends Error {
  override readonly name = 'MongoCommandError';

  constructor(
    readonly code: number,
    message: string,
    /** Extra fields for the reply (e.g. `keyPattern`, `keyValue` of a duplicate key). */
    readonly extra: Document = {},
    /** True when the emulator rejects something MongoDB itself supports. */
    readonly unsupported = false,
  ) {
    super(message);
  }

  get codeName(): string {
    return codeNameOf(this.code);
  }

  toReply(): Document {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }

  toWriteError(index: number): Document {
    return { index, code: this.code, ...this.extra, errmsg: this.message };
  }
}

export function commandError(code: number, message: string, extra: Document = {}): MongoCommandError {
  return new MongoCommandError(code, message, extra);
}

/** A feature MongoDB has and the emulator refuses, named in the message so nobody drifts onto it. */
export function notImplemented(thing: string, code: number = ErrorCode.BadValue): MongoCommandError {
  return new MongoCommandError(code, `${NOT_IMPLEMENTED} ${thing}`, {}, true);
}
