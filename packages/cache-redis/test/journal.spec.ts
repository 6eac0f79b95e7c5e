import { isJournalingCache } from '@connector-kit/connector-core';
import { expectCode, useService } from '@connector-kit/test-suite';
import { Redis } from '@connector-kit/cache-redis';
import { connector, inspector } from './support';

describe('RedisCache dirty-key journal (for the tiered store)', () => {
  const redis = useService('redis');
  const cluster = useService('redis-cluster');

  it('writes the record and its journal mark in one transaction, and reads the journal back', async () => {
    const cache = connector({ url: redis.url, prefix: 'jr1:' });
    const raw = inspector(redis.url);
    try {
      expect(isJournalingCache(cache)).toBe(true);
      await cache.setJournaled('a', { v: 1 }, { version: 3, journal: 'j', token: 't1' });
      await cache.deleteJournaled('b', { journal: 'j', token: 't2' });
      expect<unknown>(await cache.getEntry('a')).toEqual({ value: { v: 1 }, version: 3 });
      expect(await raw.hgetall('jr1:j')).toEqual({ 'jr1:a': 't1|set', 'jr1:b': 't2|delete' });
      const entries = await cache.readJournal('j');
      expect(entries.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
        { key: 'a', token: 't1', op: 'set' },
        { key: 'b', token: 't2', op: 'delete' },
      ]);
    } finally {
      raw.disconnect();
      await cache.close();
    }
  });

  it("reads back what is left of a journaled set's TTL, and nothing for a set without one", async () => {
    const cache = connector({ url: redis.url, prefix: 'jr6:' });
    try {
      await cache.setJournaled('lasting', 1, { journal: 'j', token: 't1' });
      await cache.setJournaled('expiring', 2, { ttl: 30_000, journal: 'j', token: 't2' });
      await cache.setJournaled('gone', 3, { ttl: 30_000, journal: 'j', token: 't3' });
      await cache.delete('gone'); // its mark stays: recovery must find the record missing
      const byKey = new Map((await cache.readJournal('j')).map((e) => [e.key, e]));
      expect(byKey.get('lasting')).toEqual({ key: 'lasting', token: 't1', op: 'set' });
      expect(byKey.get('gone')).toEqual({ key: 'gone', token: 't3', op: 'set' });
      const ttlMs = byKey.get('expiring')!.ttlMs!;
      expect(ttlMs).toBeGreaterThan(25_000);
      expect(ttlMs).toBeLessThanOrEqual(30_000);
    } finally {
      await cache.close();
    }
  });

  it('clearing removes only marks whose token is unchanged (a newer write keeps its mark)', async () => {
    const cache = connector({ url: redis.url, prefix: 'jr2:' });
    try {
      await cache.setJournaled('k', 1, { journal: 'j', token: 'old' });
      await cache.setJournaled('k', 2, { journal: 'j', token: 'new' });
      await cache.setJournaled('other', 3, { journal: 'j', token: 'x' });
      await cache.clearJournal('j', [
        { key: 'k', token: 'old' },
        { key: 'other', token: 'x' },
      ]);
      expect(await cache.readJournal('j')).toEqual([{ key: 'k', token: 'new', op: 'set' }]);
      await cache.clearJournal('j', [{ key: 'k', token: 'new' }]);
      expect(await cache.readJournal('j')).toEqual([]);
    } finally {
      await cache.close();
    }
  });

  it('journaled writes issued in the same tick share one atomic script call, in issue order', async () => {
    const cache = connector({ url: redis.url, prefix: 'jr4:' });
    const raw = inspector(redis.url);
    try {
      await cache.whenReady();
      const evals = async (): Promise<number> => {
        const stats = await raw.info('commandstats');
        return Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      };
      const before = await evals();
      await Promise.all([
        ...Array.from({ length: 100 }, (_, i) =>
          cache.setJournaled(`k${i}`, i, { journal: 'j', token: `t${i}` }),
        ),
        cache.setJournaled('k0', 'last', { journal: 'j', token: 'final' }),
      ]);
      expect((await evals()) - before).toBe(1);
      expect<unknown>(await cache.get('k0')).toBe('last');
      expect(await raw.hget('jr4:j', 'jr4:k0')).toBe('final|set');
      expect(await raw.hlen('jr4:j')).toBe(100);
    } finally {
      raw.disconnect();
      await cache.close();
    }
  });

  it("journals through a caller's client with an ioredis keyPrefix (ioredis builds the command)", async () => {
    const client = new Redis(redis.url, { keyPrefix: 'kp:' });
    const cache = connector({ client, prefix: 'jr5:' });
    const raw = inspector(redis.url);
    try {
      await cache.setJournaled('a', { v: 1 }, { version: 2, journal: 'j', token: 't1' });
      await cache.setJournaled('ttl', 'x', { ttl: 60_000, journal: 'j', token: 't2' });
      await cache.deleteJournaled('a', { journal: 'j', token: 't3' });
      expect(await raw.hgetall('kp:jr5:j')).toEqual({ 'jr5:a': 't3|delete', 'jr5:ttl': 't2|set' });
      expect(await raw.exists('kp:jr5:a')).toBe(0);
      expect(await raw.pttl('kp:jr5:ttl')).toBeGreaterThan(50_000);
      expect<unknown>(await cache.get('ttl')).toBe('x');
      const entries = await cache.readJournal('j');
      expect(entries).toEqual(
        jasmine.arrayWithExactContents([
          { key: 'a', token: 't3', op: 'delete' },
          { key: 'ttl', token: 't2', op: 'set', ttlMs: jasmine.any(Number) },
        ]),
      );
      const ttlMs = entries.find((e) => e.key === 'ttl')!.ttlMs!;
      expect(ttlMs).toBeGreaterThan(50_000);
      expect(ttlMs).toBeLessThanOrEqual(60_000);
    } finally {
      raw.disconnect();
      await cache.close();
      client.disconnect();
    }
  });

  it('journaled writes keep TTL and validation, and a cluster connection refuses to journal', async () => {
    const cache = connector({ url: redis.url, prefix: 'jr3:' });
    const raw = inspector(redis.url);
    const clustered = connector({ url: cluster.url });
    try {
      await cache.setJournaled('ttl', 'x', { ttl: 60_000, journal: 'j', token: 't' });
      expect(await raw.pttl('jr3:ttl')).toBeGreaterThan(50_000);
      await expectCode(cache.setJournaled('', 'x', { journal: 'j', token: 't' }), 'INVALID_KEY');
      await expectCode(cache.setJournaled('k', NaN, { journal: 'j', token: 't' }), 'INVALID_VALUE');
      expect(isJournalingCache(clustered)).toBe(false);
      await clustered.whenReady();
      await expectCode(clustered.setJournaled('k', 1, { journal: 'j', token: 't' }), 'UNSUPPORTED');
    } finally {
      raw.disconnect();
      await Promise.all([cache.close(), clustered.close()]);
    }
  }, 60_000);
});
