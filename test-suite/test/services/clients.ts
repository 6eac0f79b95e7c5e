/**
 * Real client libraries for the launcher specs. They are loaded from where the connector packages
 * get them: the hoisted `ioredis` at the root is v4 (pulled in by deepstream's old connector,
 * without types), while packages/cache-redis uses v5, which is what we want to test against.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as IORedis from '../../../packages/cache-redis/node_modules/ioredis';

const localRequire = createRequire(__filename);

export type IORedisModule = typeof IORedis;
export type RedisClient = IORedis.Redis;
export type ClusterClient = IORedis.Cluster;

/** ioredis v5, resolved from the cache-redis package. */
export function loadIoredis(): IORedisModule {
  const cacheRedis = path.dirname(localRequire.resolve('@connector-kit/cache-redis/package.json'));
  return localRequire(localRequire.resolve('ioredis', { paths: [cacheRedis] })) as IORedisModule;
}

/** A one-shot ioredis client that never retries, so a dead server fails fast instead of queueing. */
export function redisClient(port: number, extra: IORedis.RedisOptions = {}): RedisClient {
  const { Redis } = loadIoredis();
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: 2000,
    ...extra,
  });
  client.on('error', () => undefined);
  return client;
}

/** The slice of the untyped `memcached` npm client the specs use. */
export interface MemcachedClient {
  set(key: string, value: string, lifetime: number, cb: (err: unknown, stored: unknown) => void): void;
  get(key: string, cb: (err: unknown, data: unknown) => void): void;
  end(): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

type MemcachedCtor = new (servers: string | string[], options?: Record<string, unknown>) => MemcachedClient;

/**
 * A `memcached` client that gives up at once on a dead server. `remove: true` matters: otherwise,
 * after a failure, the client schedules a reconnect that spawns the `ping` binary (absent on
 * slim machines: an uncaught ENOENT). With it, a failed server is dropped from this client's
 * ring, so the specs use a fresh client per step.
 */
export function memcachedClient(servers: string[]): MemcachedClient {
  const Memcached = localRequire('memcached') as MemcachedCtor;
  return new Memcached(servers, { retries: 0, timeout: 1000, failures: 0, remove: true, idle: 2000 });
}

/** Resolves with the client's "stored" flag (false e.g. for an item the server finds too large). */
export function mcSet(client: MemcachedClient, key: string, value: string): Promise<boolean> {
  return new Promise((resolve, reject) =>
    client.set(key, value, 0, (err, stored) => (err ? reject(err) : resolve(stored === true))),
  );
}

export function mcGet(client: MemcachedClient, key: string): Promise<unknown> {
  return new Promise((resolve, reject) =>
    client.get(key, (err, data) => (err ? reject(err) : resolve(data))),
  );
}

/** Whether a directory exists (stop() must remove the service's temp dirs). */
export function exists(dir: string): boolean {
  return fs.existsSync(dir);
}

/** Settles with the rejection (or throws if it resolved), for expecting failures. */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
  throw new Error('expected the operation to fail, but it succeeded');
}
