import { createRequire } from 'node:module';
import { DeepstreamPlugin, Redis, RedisCache } from '@connector-kit/cache-redis';
import { startService, type ServiceHandle } from '@connector-kit/test-suite';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import { defaultDurationMs, runClosedLoop, type BenchContext, type BenchSuite } from '../harness';

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

interface Target {
  name: string;
  set(key: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
}

function roundsFromEnv(): number {
  const rounds = Number(process.env.BENCH_ROUNDS);
  return Number.isInteger(rounds) && rounds > 0 ? rounds : 3;
}

/**
 * Measures every target in interleaved rounds and records each target's median round. On a
 * shared machine the load changes from second to second; interleaving spreads that over all
 * targets instead of punishing whichever ran at a bad moment.
 */
async function measureInterleaved(
  ctx: BenchContext,
  op: 'set' | 'get',
  concurrency: number,
  targets: Target[],
): Promise<void> {
  const rounds = roundsFromEnv();
  const roundMs = Math.max(200, Math.round(defaultDurationMs() / 2));
  const results = new Map<string, Awaited<ReturnType<typeof runClosedLoop>>[]>();
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) {
      const keys = Array.from({ length: KEY_COUNT }, (_, i) => `bench-${target.name}-${i}`);
      const fn =
        op === 'set'
          ? (i: number) => target.set(keys[i % KEY_COUNT]!)
          : (i: number) => target.get(keys[i % KEY_COUNT]!);
      const result = await runClosedLoop(concurrency, fn, roundMs, 200);
      results.set(target.name, [...(results.get(target.name) ?? []), result]);
    }
  }
  for (const target of targets) {
    const sorted = [...results.get(target.name)!].sort((a, b) => a.opsPerSec - b.opsPerSec);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    ctx.record({
      target: target.name,
      op,
      concurrency,
      ...median,
      notes: `median of ${rounds} interleaved rounds of ${roundMs} ms`,
    });
    console.error(
      `  redis | ${target.name} | ${op} c=${concurrency}: ${Math.round(median.opsPerSec)} ops/s (rounds: ${sorted.map((r) => Math.round(r.opsPerSec)).join(', ')})`,
    );
  }
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
      closers.push(
        () => raw.quit(),
        () => rawAuto.quit(),
      );

      const connector = new RedisCache({ url });
      closers.push(() => connector.close());
      const plugin = new DeepstreamPlugin({ url });
      closers.push(() => plugin.close());

      const { CacheConnector: DeepstreamCache } = load('@deepstream/cache-redis') as {
        CacheConnector: new (options: object, services: object, config: object) => DeepstreamCachePeer;
      };
      const quietLogger = {
        fatal: () => undefined,
        warn: () => undefined,
        error: () => undefined,
        info: () => undefined,
      };
      const deepstreamCache = new DeepstreamCache(
        { host, port },
        { logger: { getNameSpace: () => quietLogger } },
        {},
      );
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

      const json = (text: string | null): unknown => JSON.parse(text ?? 'null');
      // The baseline first: every other row is compared with the first "raw" row.
      const targets: Target[] = [
        {
          name: 'raw ioredis',
          set: (k) => raw.set(k, JSON.stringify(value)),
          get: async (k) => json(await raw.get(k)),
        },
        {
          name: 'raw ioredis (auto-pipelining)',
          set: (k) => rawAuto.set(k, JSON.stringify(value)),
          get: async (k) => json(await rawAuto.get(k)),
        },
        { name: 'connector', set: (k) => connector.set(k, value), get: (k) => connector.get(k) },
        {
          name: 'connector (deepstream plugin API)',
          set: (k) => callback((done) => plugin.set(k, 1, value, done)),
          get: (k) => callback((done) => plugin.get(k, done)),
        },
        {
          name: '@deepstream/cache-redis@2.0.9',
          set: (k) => callback((done) => deepstreamCache.set(k, 1, value, done)),
          get: (k) => callback((done) => deepstreamCache.get(k, done)),
        },
        {
          name: 'deepstream.io-cache-redis@1.2.2',
          set: (k) => callback((done) => classic.set(k, value, done)),
          get: (k) => callback((done) => classic.get(k, done)),
        },
        { name: '@keyv/redis (keyv)', set: (k) => keyv.set(k, value), get: (k) => keyv.get(k) },
      ];
      for (const concurrency of [1, 64]) {
        await measureInterleaved(ctx, 'set', concurrency, targets);
        await measureInterleaved(ctx, 'get', concurrency, targets);
      }
      ctx.note(
        `${VALUE_BYTES}-byte JSON values, ${KEY_COUNT} keys per target; raw ioredis serialises with JSON too`,
      );
    } finally {
      for (const close of closers.reverse())
        await Promise.resolve()
          .then(close)
          .catch(() => undefined);
      await service.stop();
    }
  },
};
