/** Shared helpers of the cache-redis specs. */
import { freePort } from '@connector-kit/test-suite';
import { Redis, RedisCache, type RedisCacheOptions } from '@connector-kit/cache-redis';

/** Rejects with a message naming `what` if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
