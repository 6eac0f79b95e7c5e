import { ConnectorError } from '@connector-kit/connector-core';
import type { Client } from './commands';
import { resolveEndpoint, type Endpoint } from './endpoint';
import { REDIS_CACHE_DEFAULTS, type RedisCacheOptions } from './options';

/**
 * Checks the options object before anything connects: every name is known, numbers are in
 * range, and the connection settings (URL, masterUrl or a caller's client) fit together.
 * Failures are CONFIG errors that name the field.
 */

/** What to connect to. */
export interface ConnectionPlan {
  /** Where reads go (the replica when masterUrl is given). */
  reader: Endpoint | null;
  /** Where writes go; null when they go to the reader. */
  writer: Endpoint | null;
  /** The caller's client, if one was passed in. */
  client: Client | null;
}

export function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConnectorError('CONFIG', `Option ${field} must be a positive integer, got ${String(value)}`, {
      details: { field },
    });
  }
  return value;
}

export function nonNegativeNumber(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConnectorError('CONFIG', `Option ${field} must be a number >= 0, got ${String(value)}`, {
      details: { field },
    });
  }
  return value;
}

/** Every option name the connector reads (its own and the common ones). */
const KNOWN_OPTIONS = new Set([
  ...Object.keys({
    url: 0,
    masterUrl: 0,
    client: 0,
    host: 0,
    port: 0,
    nodes: 0,
    username: 0,
    password: 0,
    db: 0,
    tls: 0,
    sentinelPassword: 0,
    maxValueBytes: 0,
    maxKeyBytes: 0,
    maxBatchKeys: 0,
    reconnectMaxDelayMs: 0,
    stallTimeoutMs: 0,
    redisOptions: 0,
    clusterOptions: 0,
    prefix: 0,
    codec: 0,
    operationTimeoutMs: 0,
    connectTimeoutMs: 0,
    defaultTtl: 0,
    logger: 0,
  } satisfies Record<keyof RedisCacheOptions, 0>),
]);

/** A misspelt or foreign option (e.g. the old connectors' `ttl` in seconds) must not pass silently. */
export function checkOptionNames(options: object): void {
  for (const name of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(name)) continue;
    const hint = name === 'ttl' ? ' Use defaultTtl, in milliseconds.' : '';
    throw new ConnectorError('CONFIG', `Unknown option "${name}" for the Redis connector.${hint}`, {
      details: { field: name },
    });
  }
}

function isIoredisClient(value: unknown): value is Client {
  const client = value as { isCluster?: unknown; status?: unknown; callBuffer?: unknown } | null;
  return (
    client !== null &&
    typeof client === 'object' &&
    typeof client.isCluster === 'boolean' &&
    typeof client.status === 'string' &&
    typeof client.callBuffer === 'function'
  );
}

/** Validates the connection part of the options once, before anything connects. */
export function planConnections(options: RedisCacheOptions): ConnectionPlan {
  if (options.client !== undefined) {
    if (!isIoredisClient(options.client)) {
      throw new ConnectorError('CONFIG', 'Option client must be an ioredis Redis or Cluster instance', {
        details: { field: 'client' },
      });
    }
    if (options.masterUrl !== undefined) {
      throw new ConnectorError('CONFIG', 'Options client and masterUrl cannot be combined', {
        details: { field: 'masterUrl' },
      });
    }
    return { reader: null, writer: null, client: options.client };
  }
  const reader = resolveEndpoint(
    options,
    options.url ?? (options.host || options.nodes ? undefined : REDIS_CACHE_DEFAULTS.url),
  );
  let writer: Endpoint | null = null;
  if (options.masterUrl !== undefined) {
    if (typeof options.masterUrl !== 'string') {
      throw new ConnectorError('CONFIG', 'Option masterUrl must be a URL string', {
        details: { field: 'masterUrl' },
      });
    }
    writer = resolveEndpoint(options, options.masterUrl);
    if (reader.topology.kind === 'cluster' || writer.topology.kind === 'cluster') {
      throw new ConnectorError(
        'CONFIG',
        'masterUrl is for a master with read replicas; a Redis Cluster routes writes itself',
        {
          details: { field: 'masterUrl' },
        },
      );
    }
  }
  return { reader, writer, client: null };
}
