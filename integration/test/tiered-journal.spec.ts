import {
  MemoryCache,
  TieredStore,
  type Connector,
  type WriteBehindOptions,
  type WriteRecord,
} from '@connector-kit/connector-core';
import { Redis, RedisCache } from '@connector-kit/cache-redis';
import { eventually, sleep, useService } from '@connector-kit/test-suite';

/** A storage tier whose bulk writes wait while `held` is set: a storage write stays in flight. */
class HeldStorage extends MemoryCache {
  held: Promise<void> | null = null;
  writeCalls = 0;

  protected override async _setMany(
    items: { key: string; record: WriteRecord }[],
    ttl: number,
  ): Promise<void> {
    this.writeCalls++;
    if (this.held) await this.held;
    return super._setMany(items, ttl);
  }
}

/** Scripts Redis has run so far (a journaled write is one; a ridden write is a plain SET). */
async function scriptCalls(raw: Redis): Promise<number> {
  return Number(/cmdstat_eval:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
}

describe('TieredStore over a journaling Redis cache (real redis-server)', () => {
  const redis = useService('redis');

  /** A store over a Redis cache tier of its own: keys under `<name>:`, journal `journal-<name>`. */
  function journaledStore(
    name: string,
    storage: Connector,
    writeBehind: Partial<WriteBehindOptions> = {},
  ): TieredStore {
    return new TieredStore({
      prefix: `${name}:`,
      caches: [new RedisCache({ url: redis.url })],
      storage,
      journalName: `journal-${name}`,
      writeBehind,
    });
  }

  it('journals a hot key once per dirty period: later writes ride its mark, which is kept a while after its storage write', async () => {
    const raw = new Redis(redis.url);
    const cache = new RedisCache({ url: redis.url });
    const storage = new MemoryCache();
    const store = new TieredStore({
      prefix: 'ride:',
      caches: [cache],
      storage,
      closeTiers: false,
      journalName: 'journal-ride',
      writeBehind: { writeDelayMs: 60_000, markRetentionMs: 200 },
    });
    const evals = (): Promise<number> => scriptCalls(raw);
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
      // Storage has both; their marks are kept for rides: a rewrite now is a plain SET again.
      expect(store.stats().tiered.queue.retainedMarks).toBe(2);
      const mark = await raw.hget('journal-ride', 'ride:hot');
      await store.set('hot', { i: 20 });
      expect((await evals()) - before).toBe(2);
      expect(await raw.hget('journal-ride', 'ride:hot')).toBe(mark);
      await store.flush();
      // Kept marks go a sweep or two after their keys' last storage writes.
      const deadline = Date.now() + 2000;
      while ((await raw.hlen('journal-ride')) > 0 && Date.now() < deadline) await sleep(20);
      expect(await raw.hlen('journal-ride')).toBe(0);
      // A write after that gets a mark of its own again.
      await store.set('hot', { i: 21 });
      expect((await evals()) - before).toBe(4); // the clear, and this write's script
      expect(await raw.hget('journal-ride', 'ride:hot')).toMatch(/\|set$/);
      expect(await raw.hget('journal-ride', 'ride:hot')).not.toBe(mark);
    } finally {
      await store.close();
      await storage.close();
      await cache.close();
      raw.disconnect();
    }
  });

  it('a key rewritten while its storage write is in flight keeps its mark until storage has the newest value', async () => {
    const raw = new Redis(redis.url);
    const storage = new HeldStorage();
    // Marks go once storage has the write.
    const store = journaledStore('inflight', storage, { writeDelayMs: 60_000, markRetentionMs: 0 });
    const evals = (): Promise<number> => scriptCalls(raw);
    let release = (): void => undefined;
    storage.held = new Promise((resolve) => (release = resolve));
    try {
      await store.whenReady();
      const before = await evals();
      await store.set('hot', { i: 0 });
      const mark = await raw.hget('journal-inflight', 'inflight:hot');
      expect(mark).toMatch(/\|set$/);
      const firstFlush = store.flush(10_000);
      await eventually(() => storage.writeCalls === 1, 2000, 'the write of hot in flight');
      for (let i = 1; i <= 10; i++) await store.set('hot', { i });
      // The rewrites rode the in-flight write's mark: plain SETs, no script.
      expect((await evals()) - before).toBe(1);
      storage.held = null;
      release();
      await firstFlush;
      await sleep(50);
      expect<unknown>(await storage.get('inflight:hot')).toEqual({ i: 0 });
      expect(await raw.hget('journal-inflight', 'inflight:hot')).toBe(mark);
      // A process lost now would leave the next one that mark: it completes the newest write.
      const nextStorage = new MemoryCache();
      const next = journaledStore('inflight', nextStorage);
      await next.whenReady();
      expect(next.stats().tiered.journalRecovered).toBe(1);
      await next.flush(10_000);
      expect<unknown>(await nextStorage.get('inflight:hot')).toEqual({ i: 10 });
      await next.close();
      // The first store still completes its own write; the mark is gone either way.
      await store.flush(10_000);
      await sleep(50);
      expect<unknown>(await storage.get('inflight:hot')).toEqual({ i: 10 });
      expect(await raw.hlen('journal-inflight')).toBe(0);
    } finally {
      release();
      await store.close();
      raw.disconnect();
    }
  });

  it('a delete does not ride a pending set (its mark must say delete)', async () => {
    const raw = new Redis(redis.url);
    const store = journaledStore('ride2', new MemoryCache(), { writeDelayMs: 60_000 });
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

  it('a write issued while a journaled write of the other operation is under way journals too: the mark always says what the cache holds', async () => {
    const raw = new Redis(redis.url);
    const store = journaledStore('turn', new MemoryCache(), { writeDelayMs: 60_000 });
    try {
      await store.set('k', 1); // pending, its mark says set
      // Issued together: the delete journals (its mark says delete); the set after it must not
      // ride the first set's mark, which the delete's replaces.
      await Promise.all([store.delete('k'), store.set('k', 2)]);
      expect(await raw.hget('journal-turn', 'turn:k')).toMatch(/\|set$/);
      await Promise.all([store.set('k', 3), store.delete('k')]);
      expect(await raw.hget('journal-turn', 'turn:k')).toMatch(/\|delete$/);
      expect(await raw.exists('turn:k')).toBe(0);
      await store.flush(10_000);
      expect<unknown>(await store.storage.get('turn:k')).toBeNull();
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
