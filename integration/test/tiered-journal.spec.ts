import { MemoryCache, TieredStore } from '@connector-kit/connector-core';
import { Redis, RedisCache } from '@connector-kit/cache-redis';
import { sleep, useService } from '@connector-kit/test-suite';

describe('TieredStore over a journaling Redis cache (real redis-server)', () => {
  const redis = useService('redis');

  it('journals a hot key once per write delay: later writes ride the pending mark, and flush clears it', async () => {
    const raw = new Redis(redis.url);
    const storage = new MemoryCache();
    const store = new TieredStore({
      prefix: 'ride:',
      caches: [new RedisCache({ url: redis.url })],
      storage,
      closeTiers: false,
      journalName: 'journal-ride',
      writeBehind: { writeDelayMs: 60_000 },
    });
    const evals = async (): Promise<number> =>
      Number(/cmdstat_eval:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
    try {
      await store.whenReady();
      const before = await evals();
      for (let i = 0; i < 20; i++) await store.set('hot', { i });
      await store.set('cold', 1);
      // One journaled (script) write per key; the other 19 writes of 'hot' were plain sets.
      expect((await evals()) - before).toBe(2);
      expect(Object.keys(await raw.hgetall('journal-ride')).sort()).toEqual(['ride:cold', 'ride:hot']);
      expect<unknown>(await store.get('hot')).toEqual({ i: 19 });
      expect<unknown>(await storage.get('ride:hot')).toBeNull(); // the delay holds storage back
      await store.flush();
      expect<unknown>(await storage.get('ride:hot')).toEqual({ i: 19 });
      await sleep(50); // the journal is cleared after the storage write is confirmed
      expect(await raw.hlen('journal-ride')).toBe(0);
      // A write after the pending entry left gets a mark of its own again.
      await store.set('hot', { i: 20 });
      expect(await raw.hget('journal-ride', 'ride:hot')).toMatch(/\|set$/);
    } finally {
      await store.close();
      await storage.close();
      raw.disconnect();
    }
  });

  it('a delete does not ride a pending set (its mark must say delete)', async () => {
    const raw = new Redis(redis.url);
    const store = new TieredStore({
      prefix: 'ride2:',
      caches: [new RedisCache({ url: redis.url })],
      storage: new MemoryCache(),
      journalName: 'journal-ride2',
      writeBehind: { writeDelayMs: 60_000 },
    });
    try {
      await store.set('k', 1);
      await store.set('k', 2);
      expect(await raw.hget('journal-ride2', 'ride2:k')).toMatch(/\|set$/);
      await store.delete('k');
      expect(await raw.hget('journal-ride2', 'ride2:k')).toMatch(/\|delete$/);
      await store.flush();
      expect<unknown>(await store.storage.get('ride2:k')).toBeNull();
    } finally {
      await store.close();
      raw.disconnect();
    }
  });

  it('writes of one key issued together land in call order in every tier and in storage', async () => {
    const reader = new RedisCache({ url: redis.url });
    const memory = new MemoryCache();
    const storage = new MemoryCache();
    const store = new TieredStore({
      prefix: 'order:',
      caches: [memory, new RedisCache({ url: redis.url })],
      storage,
      journalName: 'journal-order',
      writeBehind: { writeDelayMs: 20 },
    });
    try {
      await store.whenReady();
      for (let round = 0; round < 20; round++) {
        // Not awaited one by one: sets and deletes of the same keys in flight together,
        // some journaled and some riding a pending mark.
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 50; i++) {
          const key = `k${i % 3}`;
          writes.push(i % 7 === 3 ? store.delete(key) : store.set(key, { round, i }));
        }
        await Promise.all(writes);
        if (round % 5 === 4) await store.flush();
      }
      await store.flush();
      // Last writes of round 19: k0 ← i 48, k1 ← i 49, k2 ← i 47.
      const expected: Record<string, unknown> = {
        k0: { round: 19, i: 48 },
        k1: { round: 19, i: 49 },
        k2: { round: 19, i: 47 },
      };
      for (const [key, value] of Object.entries(expected)) {
        expect<unknown>(await memory.get(`order:${key}`)).toEqual(value);
        expect<unknown>(await reader.get(`order:${key}`)).toEqual(value);
        expect<unknown>(await storage.get(`order:${key}`)).toEqual(value);
      }
    } finally {
      await store.close();
      await reader.close();
    }
  });
});
