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
  const reason = redactText(messageOf(err));
  if (isAuthFailure(err)) {
    // No `cause`: ioredis attaches the failed AUTH command, password included, to its error.
    return new ConnectorError('CONFIG', `Redis at ${where} rejected the credentials: ${reason}. Check the password/username options or URL`, {
      details: { field: 'password' },
    });
  }
  return new ConnectorError('BACKEND', `Redis at ${where}: ${reason}`, { cause: err });
}
