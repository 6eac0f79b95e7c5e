import { ConnectorError, redactText } from '@connector-kit/connector-core';
import {
  MongoBulkWriteError,
  MongoMissingCredentialsError,
  MongoNetworkError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
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

function codeOf(err: unknown): number | undefined {
  if (err instanceof MongoBulkWriteError) {
    const first = err.writeErrors;
    const list = Array.isArray(first) ? first : [first];
    const code = list[0]?.code;
    if (typeof code === 'number') return code;
  }
  if (err instanceof MongoServerError && typeof err.code === 'number') return err.code;
  return undefined;
}

/** True for a duplicate `_id` (an insert-if-absent that found the key present). */
export function isDuplicateKey(err: unknown): boolean {
  return codeOf(err) === MONGO_CODES.DuplicateKey;
}

function messageOf(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

/**
 * Turns what the driver throws into a ConnectorError with a stable code. Messages are redacted:
 * driver messages may quote the connection string.
 */
export function toConnectorErrorFromMongo(err: unknown, context: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
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
