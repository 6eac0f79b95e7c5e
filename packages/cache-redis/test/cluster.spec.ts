import fc from 'fast-check';
import { Cluster, DeepstreamPlugin, keySlot, Redis } from '@connector-kit/cache-redis';
import { randomPrefix, useService, withUnhandledRejectionWatch } from '@connector-kit/test-suite';
import { connector, within } from './support';

interface Seed {
  host: string;
  port: number;
}

/** Runs `body` and collects uncaught exceptions and unhandled rejections it caused. */
async function withCrashWatch(body: () => Promise<void>): Promise<unknown[]> {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => {
    uncaught.push(err);
  };
  process.prependListener('uncaughtException', onUncaught);
  try {
    const unhandled = await withUnhandledRejectionWatch(body);
    return [...uncaught, ...unhandled];
  } finally {
    process.off('uncaughtException', onUncaught);
  }
}

describe('cache-redis: Redis Cluster', () => {
  const cluster = useService('redis-cluster');
  // Launched clusters list their seeds; an external REDIS_CLUSTER_URL names them in the URL.
  const seeds = (): Seed[] =>
    (cluster.handle.info.seeds as Seed[] | undefined) ??
    new URL(cluster.url.replace(/^redis\+cluster:/, 'http:')).host.split(',').map((hp) => {
      const [host, port] = hp.split(':');
      return { host: host!, port: Number(port ?? 6379) };
    });

  it('computes the same hash slot as the server (hash tags, unicode, odd braces)', async () => {
    const node = new Redis(seeds()[0]!);
    try {
      const keys = [
        'a',
        'record/1',
        'spec-abc:user-42',
        '{user1000}.following',
        '{user1000}.followers',
        'foo{}{bar}',
        'foo{{bar}}zap',
        'foo{bar}{zap}',
        '{}',
        '}{',
        'ключ-日本-😀',
        '{ключ}x',
        'x'.repeat(2000),
      ];
      for (const key of keys) {
        const slot = Number(await node.call('CLUSTER', 'KEYSLOT', key));
        expect<unknown>(keySlot(key)).withContext(key.slice(0, 40)).toBe(slot);
      }
    } finally {
      node.disconnect();
    }
  });

  it('single and bulk operations across every master never throw, crash or fail with CROSSSLOT', async () => {
    const prefix = randomPrefix();
    const cache = connector({ url: cluster.url, prefix });
    const plugin = new DeepstreamPlugin({ url: cluster.url, prefix });
    plugin.connector.on('error', () => undefined);
    try {
      const crashes = await withCrashWatch(async () => {
        await Promise.all([cache.whenReady(), plugin.whenReady()]);
        // 300 keys in 300 different slots, so every master gets some. Not simply rec-0…rec-299:
        // CRC16 is linear, and for some random prefixes those share slots (as few as 228 distinct).
        const keys: string[] = [];
        const slots = new Set<number>();
        for (let i = 0; keys.length < 300; i++) {
          const slot = keySlot(`${prefix}rec-${i}`);
          if (slots.has(slot)) continue;
          slots.add(slot);
          keys.push(`rec-${i}`);
        }
        await cache.setBulk(keys.map((key, i) => ({ key, value: { i }, version: i })));
        expect<unknown>(await cache.getBulk(keys)).toEqual(keys.map((_, i) => ({ i })));
        expect<unknown>(await cache.headBulk([...keys, 'missing'])).toEqual([...keys.map((_, i) => i), null]);
        const singles = await Promise.all(
          keys.slice(0, 60).map((k, i) => cache.set(k, i * 2).then(() => cache.get(k))),
        );
        expect<unknown>(singles).toEqual(keys.slice(0, 60).map((_, i) => i * 2));
        // Through deepstream's interface, where the peers' pipelines threw.
        const pluginResult = await within(
          new Promise<unknown[]>((resolve) =>
            plugin.headBulk(keys.slice(100, 200), (err, versions, missing) =>
              resolve([err, versions, missing]),
            ),
          ),
          5000,
          'plugin headBulk',
        );
        expect<unknown>(pluginResult[0]).toBeNull();
        expect<unknown>(Object.keys(pluginResult[1] as object).length).toBe(100);
        const deleted = await within(
          new Promise<string | null>((resolve) =>
            plugin.deleteBulk(keys.slice(0, 150), (err) => resolve(err)),
          ),
          5000,
          'plugin deleteBulk',
        );
        expect<unknown>(deleted).toBeNull();
        const after = await cache.getBulk(keys);
        expect<unknown>(after.filter((v) => v === null).length).toBe(150);
        const last = keys[299]!; // set with version 299 above, and not deleted
        await cache.compareAndSet(last, 'cas', { expectedVersion: 299, version: 300 });
        expect<unknown>(await cache.getEntry(last)).toEqual({ value: 'cas', version: 300 });
      });
      expect<unknown>(crashes).toEqual([]);
    } finally {
      await Promise.all([cache.close(), plugin.close()]);
    }
  }, 30_000);

  // The multi-key commands of one slot that are scripts (headers, sets with a TTL) must be routed
  // by their keys. ioredis routes a defined script by its first argument, which for a script with
  // a variable key count is that count, so they went to whichever node serves the slot of "2".
  it('routes same-slot multi-key scripts (headers, sets with a TTL) by their keys, many in one tick', async () => {
    const prefix = randomPrefix();
    const cache = connector({ url: cluster.url, prefix });
    try {
      await cache.whenReady();
      // 30 hash tags spread over the masters; each tag's two keys make one script command.
      const keys = Array.from({ length: 30 }, (_, t) => [`{tag-${t}}a`, `{tag-${t}}b`]).flat();
      const others = Array.from({ length: 40 }, (_, i) => `plain-${i}`);
      const [, gotOthers] = await within(
        Promise.all([
          cache.setBulk(
            keys.map((key, i) => ({ key, value: i, version: i + 1 })),
            { ttl: 60_000 },
          ),
          Promise.all(others.map((k) => cache.get(k))),
        ]),
        5000,
        'the TTL sets',
      );
      expect<unknown>(gotOthers).toEqual(others.map(() => null));
      const [heads, values] = await within(
        Promise.all([
          cache.headBulk(keys),
          cache.getBulk(keys),
          Promise.all(others.map((k) => cache.head(k))),
        ]),
        5000,
        'the headers',
      );
      expect<unknown>(heads).toEqual(keys.map((_, i) => i + 1));
      expect<unknown>(values).toEqual(keys.map((_, i) => i));
    } finally {
      await cache.close();
    }
  });

  it('keeps per-key issue order for same-tick mixes of writes and reads', async () => {
    const cache = connector({ url: cluster.url, prefix: randomPrefix() });
    try {
      await cache.whenReady();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.tuple(
              fc.constantFrom('a', 'b', 'c', '{t}d', '{t}e'),
              fc.option(fc.integer({ min: 0, max: 99 })),
            ),
            {
              minLength: 1,
              maxLength: 20,
            },
          ),
          async (ops) => {
            const p = `o${run++}-`;
            const model = new Map<string, number>();
            const writes = ops.map(([k, value]) => {
              if (value === null) {
                model.delete(p + k);
                return cache.delete(p + k);
              }
              model.set(p + k, value);
              return cache.set(p + k, value);
            });
            const reads = ['a', 'b', 'c', '{t}d', '{t}e'].map((k) => cache.get(p + k));
            await within(Promise.all(writes), 5000, 'the writes');
            expect<unknown>(await Promise.all(reads)).toEqual(
              ['a', 'b', 'c', '{t}d', '{t}e'].map((k) => model.get(p + k) ?? null),
            );
          },
        ),
        { numRuns: 30 },
      );
    } finally {
      await cache.close();
    }
  }, 30_000);

  it('works on a caller-owned ioredis Cluster and leaves it connected on close()', async () => {
    const own = new Cluster(seeds());
    try {
      const cache = connector({ client: own, prefix: randomPrefix() });
      await cache.setBulk(Array.from({ length: 20 }, (_, i) => ({ key: `own-${i}`, value: i })));
      expect<unknown>(await cache.getBulk(['own-0', 'own-19'])).toEqual([0, 19]);
      await cache.close();
      expect<unknown>(own.status).toBe('ready');
      expect<unknown>(await own.set('still-mine', '1')).toBe('OK');
    } finally {
      own.disconnect();
    }
  });
});
