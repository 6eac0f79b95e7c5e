/**
 * Opening a connector from a URL for a command: built through core's registry (the URL scheme
 * picks the package), ready within a bound, or one CliError naming the backend with its URL
 * redacted.
 */
import { createConnector, type Connector, type Logger } from '@connector-kit/connector-core';
import { CliError, errorLine } from './errors';
import { scrub } from './secrets';

export interface OpenOptions {
  /** What the backend is to the user: `cache`, `storage`, `connector`. Starts the error line. */
  role: string;
  /** How long to wait for the backend to be reachable, ms. */
  connectTimeoutMs: number;
  /** Bound on each operation, ms. */
  operationTimeoutMs?: number;
  /** The connector's own options (from `--options`). */
  connectorOptions?: Record<string, unknown>;
}

/** Connector warnings go to stderr, scrubbed, prefixed with the backend's role. */
function stderrLogger(role: string): Logger {
  return {
    warn: (message) => process.stderr.write(`connector-kit: ${role}: ${scrub(message)}\n`),
    error: (message) => process.stderr.write(`connector-kit: ${role}: ${scrub(message)}\n`),
  };
}

/** `role url` with the URL redacted, for messages. */
export function describeBackend(role: string, url: string): string {
  return `${role} ${scrub(url)}`;
}

/** Builds a connector from `url` and waits until it is ready (at most `connectTimeoutMs`). */
export async function openConnector(url: string, options: OpenOptions): Promise<Connector> {
  const what = describeBackend(options.role, url);
  let connector: Connector;
  try {
    connector = createConnector(url, {
      ...options.connectorOptions,
      connectTimeoutMs: options.connectTimeoutMs,
      ...(options.operationTimeoutMs !== undefined ? { operationTimeoutMs: options.operationTimeoutMs } : {}),
      logger: stderrLogger(options.role),
    });
  } catch (err) {
    throw new CliError(`${what}: ${errorLine(err)}`);
  }
  // While connecting, each failed attempt is an 'error' event: the last one is part of the
  // NOT_READY message below, so one line says it all instead of one line per retry.
  const quiet = (): void => undefined;
  connector.on('error', quiet);
  try {
    await connector.whenReady();
  } catch (err) {
    await connector.close().catch(() => undefined);
    // CONFIG: the backend answered and refused (credentials, a missing database); else it did not.
    const refused = (err as { code?: unknown }).code === 'CONFIG';
    throw new CliError(`${what}${refused ? '' : ' is not reachable'}: ${errorLine(err)}`);
  } finally {
    connector.off('error', quiet);
  }
  return connector;
}

/** Opens a connector, runs `work` with it, and closes it whatever happens. */
export async function withConnector<T>(
  url: string,
  options: OpenOptions,
  work: (connector: Connector) => Promise<T>,
): Promise<T> {
  const connector = await openConnector(url, options);
  try {
    return await work(connector);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${describeBackend(options.role, url)}: ${errorLine(err)}`);
  } finally {
    await connector.close().catch(() => undefined);
  }
}
