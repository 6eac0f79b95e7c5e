/**
 * Reading the AWS SDK's errors: which mean "the endpoint is unreachable" (the connector waits for
 * it to come back), which are conditional-write conflicts, and which code each maps to. The SDK's
 * messages never hold credentials; they are passed through as they are.
 */
import { ConnectorError } from '@connector-kit/connector-core';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
}

export function errorName(err: unknown): string {
  const name = shape(err).name;
  return typeof name === 'string' ? name : 'Error';
}

/**
 * The endpoint cannot be reached: refused, reset, unreachable, unknown host. The HTTP handler's
 * own timeouts (name TimeoutError) are not counted: under load they mean "slow", not "gone".
 */
export function isConnectionError(err: unknown): boolean {
  const { code, name } = shape(err);
  return typeof code === 'string' && CONNECTION_CODES.has(code) && name !== 'TimeoutError';
}

const THROTTLING_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

/**
 * Whether a failed batch request may have failed because of one of its items (a validation
 * error names no item), so that sending the items one by one can tell the callers apart.
 * Not for failures every item would share: the endpoint gone, a timeout or abort, throttling,
 * credentials or region, a missing table, or a server-side fault (5xx: the SDK already retried it, and turning
 * one failed request into 25 would add load to a struggling server).
 */
export function mayBeItemSpecific(err: unknown): boolean {
  if (err instanceof ConnectorError) {
    if (err.code === 'TIMEOUT' || err.code === 'CONFIG') return false;
    if (err.cause === undefined) return true;
    err = err.cause;
  }
  const { $metadata } = shape(err);
  const name = errorName(err);
  if (name === 'AbortError' || name === 'TimeoutError' || THROTTLING_NAMES.has(name)) return false;
  if (isConnectionError(err) || isConfigurationError(err) || isTableMissing(err)) return false;
  return ($metadata?.httpStatusCode ?? 400) < 500;
}

export function isConditionalCheckFailed(err: unknown): boolean {
  return errorName(err) === 'ConditionalCheckFailedException';
}

export function isTableMissing(err: unknown): boolean {
  return errorName(err) === 'ResourceNotFoundException';
}

/** Problems no retry can fix: bad credentials or region. */
export function isConfigurationError(err: unknown): boolean {
  const { name, message } = shape(err);
  if (
    name === 'UnrecognizedClientException' ||
    name === 'InvalidSignatureException' ||
    name === 'MissingAuthenticationTokenException' ||
    name === 'AccessDeniedException' ||
    name === 'CredentialsProviderError'
  ) {
    return true;
  }
  return typeof message === 'string' && /^Region is missing|Could not load credentials/i.test(message);
}

/** A ConnectorError for an SDK failure, with the operation named and the SDK error as cause. */
export function toConnectorError(err: unknown, operation: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const name = errorName(err);
  const message = typeof shape(err).message === 'string' ? (shape(err).message as string) : String(err);
  const text = `DynamoDB ${operation} failed: ${name}: ${message}`;
  if (name === 'AbortError') {
    return new ConnectorError('TIMEOUT', `DynamoDB ${operation} was aborted at its deadline`, { cause: err });
  }
  if (name === 'TimeoutError') return new ConnectorError('TIMEOUT', text, { cause: err });
  if (name === 'ValidationException' && /item size/i.test(message)) {
    return new ConnectorError('VALUE_TOO_LARGE', text, { cause: err });
  }
  if (isConfigurationError(err)) {
    const field = /region/i.test(message) ? 'region' : 'credentials';
    return new ConnectorError('CONFIG', text, { cause: err, details: { field } });
  }
  return new ConnectorError('BACKEND', text, { cause: err });
}
