import { createRequire } from 'node:module';
import { DeepstreamPlugin, Redis, RedisCache } from '@connector-kit/cache-redis';
import { startService, type ServiceHandle } from '@connector-kit/test-suite';
import '@connector-kit/test-suite/dist/services';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import type { BenchContext, BenchSuite } from '../harness';

/**
 * The Redis connector against raw ioredis and the Redis connectors a deepstream operator could
 * choose instead, all on one redis-server started for the run (or REDIS_URL), with 100-byte
 * values. Each peer is driven through its own API.
 */

type WriteCallback = (err: unknown) => void;
type ReadCallback = (err: unknown, ...result: unknown[]) => void;

/** `@deepstream/cache-redis` 2.x: deepstream's plugin interface (version + data). */
interface DeepstreamCachePeer {
  whenReady(): Promise<void>;
  set(name: string, version: number, data: unknown, callback: WriteCallback): void;
  get(name: string, callback: ReadCallback): void;
  close(): Promise<void>;
}

/** `deepstream.io-cache-redis` 1.x: the classic interface (value only). */
interface ClassicCachePeer {
  isReady: boolean;
  once(event: 'ready', listener: () => void): void;
  set(key: string, value: unknown, callback: WriteCallback): void;
  get(key: string, callback: ReadCallback): void;
  close(): void;
}

// The peers ship without usable type declarations; they are loaded by name and typed above.
const load = createRequire(__filename);

const KEY_COUNT = 1000;
const VALUE_BYTES = 100;

/** A record of exactly VALUE_BYTES serialised bytes. */
function makeValue(): { id: string; n: number; text: string } {
  const skeleton = { id: 'rec-0001', n: 42, text: '' };
  const text = 'x'.repeat(VALUE_BYTES - JSON.stringify(skeleton).length);
  const value = { ...skeleton, text };
  if (Buffer.byteLength(JSON.stringify(value)) !== VALUE_BYTES) throw new Error('value size is off');
  return value;
}

function callback<T>(run: (done: (err: unknown, result?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => run((err, result) => (err ? reject(err) : resolve(result))));
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url.replace(/^rediss?:/, 'http:'));
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}

async function measurePair(
  ctx: BenchContext,
  target: string,
  concurrency: number,
  keys: string[],
  set: (key: string) => Promise<unknown>,
  get: (key: string) => Promise<unknown>,
): Promise<void> {
  await ctx.measure(target, 'set', concurrency, (i) => set(keys[i % KEY_COUNT]!));
  await ctx.measure(target, 'get', concurrency, (i) => get(keys[i % KEY_COUNT]!));
}

export const suite: BenchSuite = {
  name: 'redis',
  async run(ctx) {
    const service: ServiceHandle = await startService('redis');
    const closers: (() => Promise<unknown> | unknown)[] = [];
    try {
      const value = makeValue();
      const { host, port } = hostPort(service.url);
      const url = service.url;

      const raw = new Redis(url);
      const rawAuto = new Redis(url, { enableAutoPipelining: true });
      closers.push(() => raw.quit(), () => rawAuto.quit());

      const connector = new RedisCache({ url });
      closers.push(() => connector.close());
      const plugin = new DeepstreamPlugin({ url });
      closers.push(() => plugin.close());

      const { CacheConnector: DeepstreamCache } = load('@deepstream/cache-redis') as {
        CacheConnector: new (options: object, services: object, config: object) => DeepstreamCachePeer;
      };
      const quietLogger = { fatal: () => undefined, warn: () => undefined, error: () => undefined, info: () => undefined };
      const deepstreamCache = new DeepstreamCache({ host, port }, { logger: { getNameSpace: () => quietLogger } }, {});
      closers.push(() => deepstreamCache.close());

      const ClassicCache = load('deepstream.io-cache-redis') as new (options: object) => ClassicCachePeer;
      const classic = new ClassicCache({ host, port });
      closers.push(() => classic.close());

      const keyv = new Keyv({ store: new KeyvRedis(url), namespace: 'bench-keyv' });
      closers.push(() => keyv.disconnect());

      await Promise.all([
        raw.ping(),
        rawAuto.ping(),
        connector.whenReady(),
        plugin.whenReady(),
        deepstreamCache.whenReady(),
        classic.isReady ? Promise.resolve() : new Promise<void>((resolve) => classic.once('ready', resolve)),
        keyv.set('bench-warmup', 1),
      ]);

      const keysFor = (label: string): string[] => Array.from({ length: KEY_COUNT }, (_, i) => `bench-${label}-${i}`);
      for (const concurrency of [1, 64]) {
        // First: the baseline every other row is compared with.
        let keys = keysFor('raw');
        await measurePair(
          ctx,
          'raw ioredis',
          concurrency,
          keys,
          (key) => raw.set(key, JSON.stringify(value)),
          async (key) => JSON.parse((await raw.get(key)) ?? 'null') as unknown,
        );
        keys = keysFor('auto');
        await measurePair(
          ctx,
          'raw ioredis (auto-pipelining)',
          concurrency,
          keys,
          (key) => rawAuto.set(key, JSON.stringify(value)),
          async (key) => JSON.parse((await rawAuto.get(key)) ?? 'null') as unknown,
        );
        keys = keysFor('connector');
        await measurePair(
          ctx,
          'connector',
          concurrency,
          keys,
          (key) => connector.set(key, value),
          (key) => connector.get(key),
        );
        keys = keysFor('plugin');
        await measurePair(
          ctx,
          'connector (deepstream plugin API)',
          concurrency,
          keys,
          (key) => callback((done) => plugin.set(key, 1, value, done)),
          (key) => callback((done) => plugin.get(key, done)),
        );
        keys = keysFor('ds');
        await measurePair(
          ctx,
          '@deepstream/cache-redis@2.0.9',
          concurrency,
          keys,
          (key) => callback((done) => deepstreamCache.set(key, 1, value, done)),
          (key) => callback((done) => deepstreamCache.get(key, done)),
        );
        keys = keysFor('classic');
        await measurePair(
          ctx,
          'deepstream.io-cache-redis@1.2.2',
          concurrency,
          keys,
          (key) => callback((done) => classic.set(key, value, done)),
          (key) => callback((done) => classic.get(key, done)),
        );
        keys = keysFor('keyv');
        await measurePair(
          ctx,
          '@keyv/redis (keyv)',
          concurrency,
          keys,
          (key) => keyv.set(key, value),
          (key) => keyv.get(key),
        );
      }
      ctx.note(`${VALUE_BYTES}-byte JSON values, ${KEY_COUNT} keys per target; raw ioredis serialises with JSON too`);
    } finally {
      for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => undefined);
      await service.stop();
    }
  },
};
