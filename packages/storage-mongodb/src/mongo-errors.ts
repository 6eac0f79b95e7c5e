import { ConnectorError, redactText } from '@connector-kit/connector-core';
import {
  MongoBulkWriteError,
  MongoMissingCredentialsError,
  MongoNetworkError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
  type WriteError,
} from 'mongodb';

/** MongoDB server error codes this connector reacts to (src/mongo/base/error_codes.yml). */
export const MONGO_CODES = {
  Unauthorized: 13,
  AuthenticationFailed: 18,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  DuplicateKey: 11000,
  BSONObjectTooLarge: 10334,
  /** "Resulting document after update is larger than 16777216". */
  UpdateTooLarge: 17419,
} as const;

/**
 * One statement's failure inside a bulkWrite that otherwise went through (the driver reports it as
 * a `WriteError` or `WriteConcernError`, which are neither Errors nor exported as classes).
 */
export class MongoStatementError extends Error {
  override readonly name = 'MongoStatementError';
  constructor(
    message: string,
    readonly code: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** From the driver's `WriteError` / `WriteConcernError` (`{ code, errmsg }`). */
  static from(source: { code?: number; errmsg?: string }): MongoStatementError {
    const code = typeof source.code === 'number' ? source.code : undefined;
    return new MongoStatementError(source.errmsg ?? `write failed (code ${String(code)})`, code, {
      cause: source,
    });
  }
}

function codeOf(err: unknown): number | undefined {
  if (err instanceof MongoStatementError) return err.code;
  if (err instanceof MongoBulkWriteError) {
    const code = writeErrorsOf(err)[0]?.code;
    if (typeof code === 'number') return code;
  }
  if (err instanceof MongoServerError && typeof err.code === 'number') return err.code;
  return undefined;
}

/** True for a duplicate `_id` (an insert-if-absent that found the key present). */
export function isDuplicateKey(err: unknown): boolean {
  return codeOf(err) === MONGO_CODES.DuplicateKey;
}

/** A bulk error's statement errors as a list (the driver gives one, several or none). */
export function writeErrorsOf(err: MongoBulkWriteError): readonly WriteError[] {
  const errors = err.writeErrors as WriteError | readonly WriteError[] | undefined;
  if (errors === undefined) return [];
  return Array.isArray(errors) ? (errors as readonly WriteError[]) : [errors as WriteError];
}

function messageOf(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

/**
 * A bulkWrite that failed as a whole (connection lost, timeout) throws a MongoBulkWriteError with
 * no write errors that wraps the driver's own error (kept in `errorResponse`): that error says
 * what happened, and its class (MongoNetworkError, …) decides the code.
 */
export function unwrapBulkError(err: unknown): unknown {
  if (!(err instanceof MongoBulkWriteError)) return err;
  if (writeErrorsOf(err).length > 0) return err;
  const inner: unknown = err.errorResponse;
  return inner instanceof Error ? inner : err;
}

/**
 * Turns what the driver throws into a ConnectorError with a stable code. Messages are redacted:
 * driver messages may quote the connection string.
 */
export function toConnectorErrorFromMongo(thrown: unknown, context: string): ConnectorError {
  if (thrown instanceof ConnectorError) return thrown;
  const err = unwrapBulkError(thrown);
  const message = messageOf(err);
  const code = codeOf(err);
  if (
    code === MONGO_CODES.AuthenticationFailed ||
    code === MONGO_CODES.Unauthorized ||
    err instanceof MongoParseError ||
    err instanceof MongoMissingCredentialsError
  ) {
    return new ConnectorError('CONFIG', `${context}: MongoDB refused the configuration: ${message}`, {
      cause: err,
    });
  }
  if (
    code === MONGO_CODES.BSONObjectTooLarge ||
    code === MONGO_CODES.UpdateTooLarge ||
    /larger than the maximum|is larger than|too large/i.test(message)
  ) {
    return new ConnectorError(
      'VALUE_TOO_LARGE',
      `${context}: the document exceeds MongoDB's size limit: ${message}`,
      {
        cause: err,
      },
    );
  }
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) {
    return new ConnectorError('BACKEND', `${context}: MongoDB unreachable: ${message}`, { cause: err });
  }
  return new ConnectorError('BACKEND', `${context}: ${message}`, { cause: err });
}
