import { ConnectorError, redactText } from '@connector-kit/connector-core';

/** Server replies that mean "your credentials are wrong": reconnecting will not help. */
const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password|NOPERM|AUTH failed/i;

function messageOf(err: unknown): string {
  if (err instanceof Error) {
    // Cluster errors wrap the node's reason.
    const nodeError = (err as { lastNodeError?: unknown }).lastNodeError;
    const inner = nodeError instanceof Error ? ` (${nodeError.message})` : '';
    return `${err.message}${inner}`;
  }
  return String(err);
}

export function isAuthFailure(err: unknown): boolean {
  return AUTH_FAILURE.test(messageOf(err));
}

/**
 * Turns an ioredis error about the connection into a ConnectorError that names the server
 * (without credentials): CONFIG for rejected credentials, BACKEND otherwise.
 */
export function connectionError(err: unknown, where: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const reason = redactText(messageOf(err)).replace(/\.+$/, '');
  if (isAuthFailure(err)) {
    // No `cause`: ioredis attaches the failed AUTH command, password included, to its error.
    return new ConnectorError(
      'CONFIG',
      `Redis at ${where} rejected the credentials: ${reason}. Check the password/username options or URL`,
      {
        details: { field: 'password' },
      },
    );
  }
  return new ConnectorError('BACKEND', `Redis at ${where}: ${reason}`, { cause: err });
}

/**
 * Turns the error of one command into a ConnectorError that says what happened to it: a
 * connection lost while the command was in flight (it may or may not have been applied), no
 * connection at all, or the server's own reply (WRONGTYPE, OOM, …).
 */
export function commandError(err: unknown, where: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const message = messageOf(err);
  if (
    (err as { name?: unknown } | null)?.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed/i.test(message)
  ) {
    return new ConnectorError(
      'BACKEND',
      `The connection to Redis at ${where} was lost before it answered; the write may or may not have been applied`,
      { cause: err },
    );
  }
  if (/Stream isn't writeable|enableOfflineQueue/i.test(message)) {
    return new ConnectorError('BACKEND', `Not connected to Redis at ${where}`, { cause: err });
  }
  return new ConnectorError('BACKEND', `Redis at ${where}: ${redactText(message)}`, { cause: err });
}
