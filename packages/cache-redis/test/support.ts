/** Shared helpers of the cache-redis specs. */
import { freePort, withTimeout } from '@connector-kit/test-suite';
import { Redis, RedisCache, type RedisCacheOptions } from '@connector-kit/cache-redis';

/** Rejects with a message naming `what` if `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(promise, ms, `${what} did not settle within ${ms} ms`);
}

export { sleep } from '@connector-kit/test-suite';

/**
 * Checks the outcomes of a stream of operations that ran through an outage: each settled as
 * 'ok' or one of the outage codes, at least `minOk` succeeded, and the outage was felt.
 */
export function expectStreamSettled(results: readonly string[], minOk: number): void {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r] = (counts[r] ?? 0) + 1;
  expect<unknown>(
    Object.keys(counts).filter((c) => !['ok', 'BACKEND', 'NOT_READY', 'TIMEOUT'].includes(c)),
  ).toEqual([]);
  expect<unknown>(counts.ok).toBeGreaterThan(minOk);
  expect<unknown>((counts.BACKEND ?? 0) + (counts.NOT_READY ?? 0) + (counts.TIMEOUT ?? 0)).toBeGreaterThan(0);
}

/** A plain ioredis client for looking at what the connector stored (the test's own eyes). */
export function inspector(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
  client.on('error', () => undefined);
  return client;
}

/** A loopback URL on which nothing listens. */
export async function unreachableUrl(): Promise<string> {
  return `redis://127.0.0.1:${await freePort()}`;
}

/** A connector that stays quiet about background errors (specs observe them explicitly). */
export function connector(options: RedisCacheOptions): RedisCache {
  const cache = new RedisCache(options);
  cache.on('error', () => undefined);
  return cache;
}

/** How each promise ends: 'ok' or the error code, for "every operation settles" checks. */
export function outcomesOf(promises: Promise<unknown>[]): Promise<string>[] {
  return promises.map((p) =>
    p.then(
      () => 'ok',
      (err: unknown) => (err as { code?: string }).code ?? String(err),
    ),
  );
}
