import { MemoryCache, TieredStore, WriteBehindQueue, type Connector } from '@connector-kit/connector-core';
import { RedisCache } from '@connector-kit/cache-redis';
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';
import { startService } from '@connector-kit/test-suite';
import type { BenchSuite } from '../harness';

const VALUE = { payload: 'x'.repeat(80), n: 1 };

async function ready<T extends Connector>(c: T): Promise<T> {
  c.on('error', () => undefined);
  await c.whenReady();
  return c;
}

/** Bytes of heap one pending write-behind entry costs (100-byte values, storage never answering). */
async function memoryPerQueuedWrite(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const n = 50_000;
  const release: (() => void)[] = [];
  const queue = new WriteBehindQueue(
    { write: () => new Promise<void>((resolve) => release.push(resolve)), failed: () => undefined },
    { maxEntries: n * 2, maxBytes: 1 << 30, concurrency: 1, batchSize: 1 },
  );
  const data = Buffer.from(JSON.stringify(VALUE));
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    const key = `key-${i}`;
    const copy = Buffer.from(data); // each write owns its bytes, as in the store
    queue.commit(await queue.reserve(WriteBehindQueue.sizeOf(key, copy)), {
      key,
      op: 'set',
      data: copy,
      version: 1,
      ttl: 0,
      token: null,
    });
  }
  gc?.();
  const after = process.memoryUsage().heapUsed + 0;
  release.forEach((r) => r());
  return (after - before) / n;
}

export const suite: BenchSuite = {
  name: 'tiered',
  async run(ctx) {
    const redis = await startService('redis');
    const dynamo = await startService('dynamodb-local');
    try {
      const keys = Array.from({ length: 1000 }, (_, i) => `hot-${i}`);

      // 1. Set latency: a tiered store (Redis → DynamoDB Local) against the Redis cache alone.
      const cacheOnly = await ready(new RedisCache({ url: redis.url, prefix: 'bench-cache:' }));
      const tiered = await ready(
        new TieredStore({
          prefix: 'bench-tiered:',
          caches: [new RedisCache({ url: redis.url })],
          storage: new DynamoDBStorage({ url: dynamo.url, createTable: true }),
        }),
      );
      for (const concurrency of [1, 64]) {
        await ctx.measure('raw: Redis cache only', 'set', concurrency, (i) =>
          cacheOnly.set(keys[i % 1000]!, VALUE),
        );
        await ctx.measure('tiered Redis → DynamoDB', 'set', concurrency, (i) =>
          tiered.set(keys[i % 1000]!, VALUE),
        );
      }
      await tiered.flush(120_000);

      // 2. Coalescing: 100,000 sets over 1,000 hot keys.
      const coalescing = await ready(
        new TieredStore({
          prefix: 'bench-coalesce:',
          caches: [new MemoryCache()],
          storage: new DynamoDBStorage({ url: dynamo.url, createTable: true }),
        }),
      );
      const started = performance.now();
      const total = 100_000;
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < total) {
            const i = next++;
            await coalescing.set(keys[i % 1000]!, { ...VALUE, n: i });
          }
        }),
      );
      await coalescing.flush(120_000);
      const elapsed = performance.now() - started;
      const q = coalescing.stats().tiered.queue;
      ctx.record({
        target: 'tiered memory → DynamoDB (100k sets, 1k hot keys)',
        op: 'set+flush',
        concurrency: 64,
        ops: total,
        opsPerSec: (total / elapsed) * 1000,
        p50Ms: 0,
        p99Ms: 0,
        notes: `storage writes ${q.written} (naive: ${total}), batches ${q.batches}, mean batch ${q.meanBatchSize.toFixed(1)}, coalesced ${q.coalesced}`,
      });
      ctx.note(
        `coalescing: 100,000 sets over 1,000 hot keys → ${q.written} storage writes in ${q.batches} batches ` +
          `(mean batch ${q.meanBatchSize.toFixed(1)}); a naive one-write-per-set store issues 100,000.`,
      );

      // 3. Memory per pending write.
      const perEntry = await memoryPerQueuedWrite();
      ctx.note(
        `memory per pending write-behind entry (100-byte value): ~${Math.round(perEntry)} bytes of heap`,
      );

      await Promise.all([cacheOnly.close(), tiered.close(), coalescing.close()]);
    } finally {
      await Promise.all([redis.stop(), dynamo.stop()]);
    }
  },
};
