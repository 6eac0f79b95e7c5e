import fc from 'fast-check';
import { ConnectorError, createConnector } from '@connector-kit/connector-core';
import { Redis, RedisCache } from '@connector-kit/cache-redis';
import { randomPrefix, useService } from '@connector-kit/test-suite';
import { connector, inspector, within } from './support';

/** `INFO commandstats` as command → calls. */
async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

/** How many times each command ran while `body` ran (this describe's server has no other clients). */
async function countCommands(client: Redis, body: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandCalls(client);
  await body();
  const after = await commandCalls(client);
  const delta: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) {
    const diff = calls - (before[name] ?? 0);
    if (diff > 0 && name !== 'info') delta[name] = diff;
  }
  return delta;
}

describe('cache-redis: behaviour on a standalone server', () => {
  const redis = useService('redis');
  let cache: RedisCache;
  let raw: Redis;
  let prefix: string;

  beforeAll(async () => {
    prefix = randomPrefix();
    cache = connector({ url: redis.url, prefix });
    raw = inspector(redis.url);
    await cache.whenReady();
  });

  afterAll(async () => {
    await cache?.close();
    raw?.disconnect();
  });

  describe('coalescing what is issued in one tick', () => {
    it('100 gets become one MGET, 100 sets one MSET, 50 deletes one DEL, 20 heads one script call', async () => {
      const keys = Array.from({ length: 100 }, (_, i) => `co-${i}`);
      expect<unknown>(
        await countCommands(raw, () => Promise.all(keys.map((k, i) => cache.set(k, { i })))),
      ).toEqual({ mset: 1 });
      let values: unknown[] = [];
      expect<unknown>(
        await countCommands(raw, async () => {
          values = await Promise.all(keys.map((k) => cache.get(k)));
        }),
      ).toEqual({ mget: 1 });
      values.forEach((v, i) => expect<unknown>(v).toEqual({ i }));
      const heads = await countCommands(raw, () => Promise.all(keys.slice(0, 20).map((k) => cache.head(k))));
      // The script's own GETRANGE calls are counted too; no other command ran.
      expect<unknown>((heads.eval ?? 0) + (heads.evalsha ?? 0)).toBe(1);
      expect<unknown>(heads.getrange).toBe(20);
      expect<unknown>(Object.keys(heads).filter((c) => !['eval', 'evalsha', 'getrange'].includes(c))).toEqual(
        [],
      );
      expect<unknown>(
        await countCommands(raw, () => Promise.all(keys.slice(0, 50).map((k) => cache.delete(k)))),
      ).toEqual({ del: 1 });
    });

    it('sets with one TTL become one script call (its SETs are counted too), each record with its PX', async () => {
      const keys = Array.from({ length: 50 }, (_, i) => `ttl-co-${i}`);
      const delta = await countCommands(raw, () =>
        Promise.all(keys.map((k, i) => cache.set(k, i, { ttl: 60_000 }))),
      );
      expect<unknown>(delta).toEqual({ eval: 1, set: 50 });
      for (const k of [keys[0]!, keys[49]!]) {
        const pttl = await raw.pttl(prefix + k);
        expect<unknown>(pttl).toBeGreaterThan(55_000);
        expect<unknown>(pttl).toBeLessThanOrEqual(60_000);
      }
      expect<unknown>(await cache.getBulk(keys)).toEqual(keys.map((_, i) => i));
    });

    it('a mixed tick on different keys is one pipeline of one command per kind', async () => {
      await cache.set('mix-0', 0);
      const delta = await countCommands(raw, () =>
        Promise.all([
          cache.set('mix-1', 1),
          cache.get('mix-0'),
          cache.set('mix-2', 2),
          cache.delete('mix-3'),
          cache.get('mix-4'),
        ]),
      );
      expect<unknown>(delta).toEqual({ mset: 1, mget: 1, del: 1 });
    });

    it('splits batches larger than maxBatchKeys', async () => {
      const small = connector({ url: redis.url, prefix: randomPrefix(), maxBatchKeys: 100 });
      try {
        const entries = Array.from({ length: 250 }, (_, i) => ({ key: `split-${i}`, value: i }));
        expect<unknown>(await countCommands(raw, () => small.setBulk(entries))).toEqual({ mset: 3 });
        let values: unknown[] = [];
        expect<unknown>(
          await countCommands(raw, async () => {
            values = await small.getBulk(entries.map((e) => e.key));
          }),
        ).toEqual({ mget: 3 });
        expect<unknown>(values).toEqual(entries.map((e) => e.value));
      } finally {
        await small.close();
      }
    });

    it('splits a batch of large values so no command carries more than 16 MiB of records', async () => {
      const big = 'x'.repeat(5 * 1024 * 1024);
      const entries = Array.from({ length: 5 }, (_, i) => ({ key: `big-${i}`, value: `${i}${big}` }));
      expect<unknown>(await countCommands(raw, () => cache.setBulk(entries))).toEqual({ mset: 2 });
      const back = await cache.getBulk(entries.map((e) => e.key));
      expect<unknown>(back.every((v, i) => v === entries[i]!.value)).toBe(true);
      await cache.deleteBulk(entries.map((e) => e.key));
    });

    it('keeps per-key issue order for any same-tick mix of set, set with TTL, delete, get, head and compare-and-set', async () => {
      type Op =
        | { kind: 'set'; key: string; value: number; ttl: number }
        | { kind: 'delete'; key: string }
        | { kind: 'get'; key: string }
        | { kind: 'head'; key: string }
        | { kind: 'cas'; key: string; value: number; matching: boolean };
      // Two keys and mostly writes, so that clashes on one key (the interesting case) are common.
      const key = fc.constantFrom('a', 'b');
      const op: fc.Arbitrary<Op> = fc.oneof(
        {
          arbitrary: fc.record({
            kind: fc.constant('set' as const),
            key,
            value: fc.integer({ min: 0, max: 1000 }),
            ttl: fc.constantFrom(0, 30_000, 60_000),
          }),
          weight: 4,
        },
        { arbitrary: fc.record({ kind: fc.constant('delete' as const), key }), weight: 1 },
        { arbitrary: fc.record({ kind: fc.constant('get' as const), key }), weight: 2 },
        { arbitrary: fc.record({ kind: fc.constant('head' as const), key }), weight: 1 },
        {
          arbitrary: fc.record({
            kind: fc.constant('cas' as const),
            key,
            value: fc.integer({ min: 0, max: 1000 }),
            matching: fc.boolean(),
          }),
          weight: 1,
        },
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          const p = `order-${run++}-`;
          const model = new Map<string, number>();
          const expected: unknown[] = [];
          const issued = ops.map((o) => {
            const k = p + o.key;
            switch (o.kind) {
              case 'set':
                model.set(k, o.value);
                expected.push(undefined);
                return cache.set(k, o.value, { version: o.value, ttl: o.ttl });
              case 'delete':
                model.delete(k);
                expected.push(undefined);
                return cache.delete(k);
              case 'get':
                expected.push(model.get(k) ?? null);
                return cache.get(k);
              case 'head':
                expected.push(model.get(k) ?? null);
                return cache.head(k);
              case 'cas': {
                // Versions equal values here; 5000 is never stored, so that expectation conflicts.
                const current = model.get(k) ?? null;
                const expectedVersion = o.matching ? current : 5000;
                if (o.matching) model.set(k, o.value);
                expected.push(o.matching ? 'ok' : 'CONFLICT');
                return cache.compareAndSet(k, o.value, { expectedVersion, version: o.value }).then(
                  () => 'ok',
                  (err: ConnectorError) => err.code,
                );
              }
            }
          });
          const results = await within(Promise.all(issued as Promise<unknown>[]), 5000, 'the batch');
          expect<unknown>(results).toEqual(expected);
          for (const k of ['a', 'b', 'c'])
            expect<unknown>(await cache.get(p + k)).toBe(model.get(p + k) ?? null);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('stored shape', () => {
    it('one Redis string per record, v<version>:<JSON>; a TTL is PX on that one key', async () => {
      await cache.set('shape', { hello: 'wörld' }, { version: 42, ttl: 60_000 });
      expect<unknown>(await raw.keys(`${prefix}shape*`)).toEqual([`${prefix}shape`]);
      expect<unknown>(await raw.get(`${prefix}shape`)).toBe('v42:{"hello":"wörld"}');
      const pttl = await raw.pttl(`${prefix}shape`);
      expect<unknown>(pttl).toBeGreaterThan(55_000);
      expect<unknown>(pttl).toBeLessThanOrEqual(60_000);
      await cache.set('shape', 'lasting', { version: 43 });
      expect<unknown>(await raw.pttl(`${prefix}shape`)).toBe(-1);
      expect<unknown>(await cache.getEntry('shape')).toEqual({ value: 'lasting', version: 43 });
    });

    it('reads a value it did not write as CORRUPT, without failing other reads of the same tick', async () => {
      await raw.set(`${prefix}foreign`, 'written by someone else');
      await cache.set('neighbour', 'fine');
      const [foreign, neighbour, head] = await Promise.all([
        cache.get('foreign').catch((e: ConnectorError) => e.code),
        cache.get('neighbour'),
        cache.head('foreign').catch((e: ConnectorError) => e.code),
      ]);
      expect<unknown>(foreign).toBe('CORRUPT');
      expect<unknown>(neighbour).toBe('fine');
      expect<unknown>(head).toBe('CORRUPT');
    });

    it('a server error (WRONGTYPE) fails only the operations it concerns, with the server message', async () => {
      await raw.hset(`${prefix}a-hash`, 'f', 'v');
      await cache.set('plain', 1);
      const [head, other] = await Promise.all([
        cache.head('a-hash').catch((e: ConnectorError) => e),
        cache.get('plain'),
      ]);
      expect<unknown>(head instanceof ConnectorError && head.code === 'BACKEND').toBe(true);
      expect<unknown>((head as ConnectorError).message).toContain('WRONGTYPE');
      expect<unknown>(other).toBe(1);
    });
  });

  describe('values and TTL', () => {
    it('serialises at call time: changing the object after set() does not change what is stored', async () => {
      const value = { n: 1, list: [1] };
      const writes = [cache.set('snapshot', value)];
      value.n = 2;
      value.list.push(2);
      await Promise.all(writes);
      expect<unknown>(await cache.get('snapshot')).toEqual({ n: 1, list: [1] });
    });

    it('applies defaultTtl to writes without a TTL, also to setBulk and compareAndSet', async () => {
      const ttlCache = connector({ url: redis.url, prefix: randomPrefix(), defaultTtl: 30_000 });
      try {
        await ttlCache.set('d1', 1);
        await ttlCache.setBulk([{ key: 'd2', value: 2 }]);
        await ttlCache.compareAndSet('d3', 3, { expectedVersion: null });
        for (const k of ['d1', 'd2', 'd3']) {
          const pttl = await raw.pttl(ttlCache.prefix + k);
          expect<unknown>(pttl).withContext(k).toBeGreaterThan(25_000);
          expect<unknown>(pttl).withContext(k).toBeLessThanOrEqual(30_000);
        }
      } finally {
        await ttlCache.close();
      }
    });
  });

  describe('construction', () => {
    it('createConnector(url) finds this package by scheme', async () => {
      const created = createConnector(`${redis.url}#${randomPrefix()}`);
      created.on('error', () => undefined);
      try {
        expect<unknown>(created instanceof RedisCache).toBe(true);
        await created.set('via-registry', 1);
        expect<unknown>(await created.get('via-registry')).toBe(1);
      } finally {
        await created.close();
      }
    });

    it('works on a caller-owned ioredis client and leaves it connected on close()', async () => {
      const own = new Redis(redis.url);
      try {
        const onOwn = connector({ client: own, prefix: randomPrefix() });
        await onOwn.set('own', 'yes');
        expect<unknown>(await onOwn.get('own')).toBe('yes');
        await onOwn.close();
        expect<unknown>(own.status).toBe('ready');
        expect<unknown>(await own.ping()).toBe('PONG');
        expect<unknown>(own.listenerCount('ready')).toBe(0);
      } finally {
        own.disconnect();
      }
    });

    it('uses the database from the URL path', async () => {
      const db5 = connector({ url: `${redis.url}/5`, prefix: randomPrefix() });
      try {
        await db5.set('in-db5', 1);
        const other = new Redis(`${redis.url}/5`);
        try {
          expect<unknown>(await other.exists(db5.prefix + 'in-db5')).toBe(1);
        } finally {
          other.disconnect();
        }
        expect<unknown>(await raw.exists(db5.prefix + 'in-db5')).toBe(0);
      } finally {
        await db5.close();
      }
    });
  });
});
