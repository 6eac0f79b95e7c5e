import '@connector-kit/test-suite/dist/services';
import { createRequire } from 'node:module';
import { Client as MemjsClient } from 'memjs';
import { MemcachedCache } from '@connector-kit/cache-memcached';
import { startService } from '@connector-kit/test-suite';
import type { BenchSuite } from '../harness';

/** The `memcached` client's callback API as used here. */
interface RawMemcached {
  set(key: string, value: unknown, lifetime: number, cb: (err: unknown) => void): void;
  get(key: string, cb: (err: unknown, data: unknown) => void): void;
  end(): void;
}

// No type declarations for `memcached` are installed: load it untyped and describe what we use.
const Memcached = createRequire(__filename)('memcached') as new (
  servers: string[],
  options: object,
) => RawMemcached;

/**
 * MemcachedCache against the raw `memcached` client it is built on and against `memjs` (binary
 * protocol), on one local memcached, same value, same keys. The raw clients serialise with JSON
 * like the connector does.
 */
export const suite: BenchSuite = {
  name: 'memcached',
  async run(ctx) {
    const service = await startService('memcached', { local: true });
    const server = `${service.nodes[0]!.host}:${service.nodes[0]!.port}`;
    const value = { id: 'x'.repeat(40), n: 42, tags: ['a', 'b', 'c'], nested: { ok: true } };
    const keys = Array.from({ length: 1000 }, (_, i) => `bench-key-${i}`);

    const raw = new Memcached([server], {});
    const rawSet = (key: string): Promise<void> =>
      new Promise((resolve, reject) =>
        raw.set(key, value, 0, (err) => (err ? reject(toError(err)) : resolve())),
      );
    const rawGet = (key: string): Promise<unknown> =>
      new Promise((resolve, reject) =>
        raw.get(key, (err, data) => (err ? reject(toError(err)) : resolve(data))),
      );

    const memjs = MemjsClient.create(server, { logger: { log: () => undefined } });
    const memjsSet = async (key: string): Promise<void> => {
      await memjs.set(`mj-${key}`, JSON.stringify(value), { expires: 0 });
    };
    const memjsGet = async (key: string): Promise<unknown> => {
      const { value: data } = await memjs.get(`mj-${key}`);
      return data === null ? null : (JSON.parse(data.toString('utf8')) as unknown);
    };

    const connector = new MemcachedCache({ url: service.url, prefix: 'kit-' });
    try {
      await connector.whenReady();
      // One request each first: the raw client fails bursts larger than its pool while connecting.
      await rawSet(keys[0]!);
      await memjsSet(keys[0]!);
      for (const concurrency of [1, 64]) {
        await ctx.measure('raw memcached', 'set', concurrency, (i) => rawSet(keys[i % 1000]!));
        await ctx.measure('memjs', 'set', concurrency, (i) => memjsSet(keys[i % 1000]!));
        await ctx.measure('connector', 'set', concurrency, (i) => connector.set(keys[i % 1000]!, value));
        await ctx.measure('raw memcached', 'get', concurrency, (i) => rawGet(keys[i % 1000]!));
        await ctx.measure('memjs', 'get', concurrency, (i) => memjsGet(keys[i % 1000]!));
        await ctx.measure('connector', 'get', concurrency, (i) => connector.get(keys[i % 1000]!));
      }
      const stats = connector.stats();
      ctx.note(
        `connector: ${stats.hits} hits, ${stats.misses} misses, errors ${JSON.stringify(stats.errors)}`,
      );
    } finally {
      await connector.close();
      raw.end();
      memjs.close();
      await service.stop();
    }
  },
};

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
