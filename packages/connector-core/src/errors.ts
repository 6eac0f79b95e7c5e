/**
 * The one error class of the kit. Every error a connector reports — to a callback, a rejected
 * Promise or an `'error'` event — is a ConnectorError with a stable `code` from ERROR_CODES.
 * Messages are meant for people; codes are meant for programs. Never put credentials in either:
 * use `redactUrl()` for anything that may hold a connection string.
 */

/** Stable error codes. Their meaning never changes; new codes may be added. */
export const ERROR_CODES = {
  /** The key is not a non-empty, well-formed string within the backend's `maxKeyBytes`. */
  INVALID_KEY: 'INVALID_KEY',
  /** The value cannot be stored faithfully (undefined, NaN, a class instance, a cycle, …). */
  INVALID_VALUE: 'INVALID_VALUE',
  /** The serialised value is larger than the backend's `maxValueBytes`. */
  VALUE_TOO_LARGE: 'VALUE_TOO_LARGE',
  /** An option passed to an operation is invalid (e.g. a negative TTL). */
  INVALID_OPTION: 'INVALID_OPTION',
  /** The operation did not finish within its timeout. It may or may not have taken effect. */
  TIMEOUT: 'TIMEOUT',
  /** The connector was closed; no further operations are accepted. */
  CLOSED: 'CLOSED',
  /** The backend did not become ready within the operation's timeout. */
  NOT_READY: 'NOT_READY',
  /** The backend reported an error or the connection to it failed. */
  BACKEND: 'BACKEND',
  /** The configuration is invalid, or the backend rejected it (e.g. wrong password). */
  CONFIG: 'CONFIG',
  /** A compare-and-set found a different version than expected. */
  CONFLICT: 'CONFLICT',
  /** The connector does not support the requested capability (see its `supports` manifest). */
  UNSUPPORTED: 'UNSUPPORTED',
  /** A bounded queue is full and its policy is to refuse rather than wait. */
  QUEUE_FULL: 'QUEUE_FULL',
  /** Stored bytes could not be decoded (written by another codec or damaged). */
  CORRUPT: 'CORRUPT',
  /** A tiered store closed with acknowledged writes not yet in storage (`details.keys`). */
  UNFLUSHED: 'UNFLUSHED',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface ConnectorErrorDetails {
  /** The key the failed operation was about, when there is one. */
  key?: string;
  /** Keys involved (bulk operations, write-behind failures). */
  keys?: string[];
  /** The connector's name. */
  connector?: string;
  /** The operation that failed (`get`, `set`, …). */
  operation?: string;
  /** Where inside a value the problem is, as a JSONPath such as `$.a[3].b`. */
  path?: string;
  /** Anything else a program may want to inspect. */
  [extra: string]: unknown;
}

export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  readonly code: ErrorCode;
  readonly details: ConnectorErrorDetails;
  override readonly cause?: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: ConnectorErrorDetails } = {},
  ) {
    super(message);
    this.code = code;
    this.details = options.details ?? {};
    if (options.cause !== undefined) this.cause = options.cause;
  }

  /** True when `err` is a ConnectorError (optionally with the given code). */
  static is(err: unknown, code?: ErrorCode): err is ConnectorError {
    return err instanceof ConnectorError && (code === undefined || err.code === code);
  }
}

/**
 * Turns anything thrown by a driver into a ConnectorError. A ConnectorError passes through
 * unchanged; anything else becomes `fallbackCode` with the original kept as `cause`.
 */
export function toConnectorError(
  err: unknown,
  fallbackCode: ErrorCode,
  context: string,
  details?: ConnectorErrorDetails,
): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new ConnectorError(fallbackCode, `${context}: ${reason}`, { cause: err, details });
}
