import { DeepstreamPlugin, Redis, type RedisCacheOptions } from '@connector-kit/cache-redis';
import { randomPrefix, useService } from '@connector-kit/test-suite';
import { inspector, unreachableUrl, within } from './support';

/**
 * What `@deepstream/cache-redis` 2.0.9 and `deepstream.io-cache-redis` 1.2.2 get wrong, each
 * checked here through deepstream's own plugin interface (callbacks with string errors, versions).
 * The cluster cases are in cluster.spec.ts, the frozen-server case in faults.spec.ts.
 */

type Plugin = InstanceType<typeof DeepstreamPlugin>;

function makePlugin(options: RedisCacheOptions): Plugin {
  const plugin = new DeepstreamPlugin(options as Record<string, unknown>);
  plugin.connector.on('error', () => undefined);
  return plugin;
}

function setVia(plugin: Plugin, name: string, version: number, data: unknown): Promise<string | null> {
  return new Promise((resolve) => plugin.set(name, version, data as never, (err) => resolve(err)));
}

function getVia(plugin: Plugin, name: string): Promise<[string | null, number, unknown]> {
  return new Promise((resolve) => plugin.get(name, (err, version, data) => resolve([err, version, data])));
}

describe('cache-redis: what the peer connectors get wrong (deepstream plugin API)', () => {
  const redis = useService('redis');
  let plugin: Plugin;
  let raw: Redis;
  let prefix: string;

  beforeAll(async () => {
    prefix = randomPrefix();
    plugin = makePlugin({ url: redis.url, prefix });
    raw = inspector(redis.url);
    await plugin.whenReady();
  });

  afterAll(async () => {
    await plugin?.close();
    raw?.disconnect();
  });

  it('two sets of one record in one tick: both callbacks fire, in order, and the last set wins', async () => {
    const fired: string[] = [];
    await within(
      new Promise<void>((resolve) => {
        plugin.set('double', 1, { n: 'first' }, (err) => {
          fired.push(`first:${err}`);
        });
        plugin.set('double', 2, { n: 'second' }, (err) => {
          fired.push(`second:${err}`);
          resolve();
        });
      }),
      5000,
      'both set callbacks',
    );
    expect<unknown>(fired).toEqual(['first:null', 'second:null']);
    expect<unknown>(await getVia(plugin, 'double')).toEqual([null, 2, { n: 'second' }]);
  });

  it('set then delete in one tick ends deleted, delete then set ends set; every callback fires', async () => {
    await setVia(plugin, 'del-then-set', 1, { old: true });
    const fired: string[] = [];
    const done = (label: string) => (err: string | null) => fired.push(`${label}:${err}`);
    await within(
      new Promise<void>((resolve) => {
        plugin.set('set-then-del', 1, { x: 1 }, done('set A'));
        plugin.delete('set-then-del', done('delete A'));
        plugin.delete('del-then-set', done('delete B'));
        plugin.set('del-then-set', 2, { fresh: true }, (err) => {
          done('set B')(err);
          resolve();
        });
      }),
      5000,
      'all four callbacks',
    );
    expect<unknown>(fired).toEqual(['set A:null', 'delete A:null', 'delete B:null', 'set B:null']);
    expect<unknown>(await getVia(plugin, 'set-then-del')).toEqual([null, -1, null]);
    expect<unknown>(await getVia(plugin, 'del-then-set')).toEqual([null, 2, { fresh: true }]);
  });

  it('stores the value as it was when set() was called, not when the write is flushed', async () => {
    const data = { counter: 1, nested: { list: ['a'] } };
    const write = setVia(plugin, 'snapshot', 1, data);
    data.counter = 99;
    data.nested.list.push('b');
    expect<unknown>(await write).toBeNull();
    expect<unknown>(await getVia(plugin, 'snapshot')).toEqual([
      null,
      1,
      { counter: 1, nested: { list: ['a'] } },
    ]);
  });

  it('an error during headBulk reaches the callback (a wrong-typed key), and the process lives on', async () => {
    await setVia(plugin, 'hb-ok', 3, {});
    await raw.hset(`${prefix}hb-hash`, 'field', 'value');
    const result = await within(
      new Promise<unknown[]>((resolve) =>
        plugin.headBulk(['hb-ok', 'hb-hash'], (err, versions, missing) => resolve([err, versions, missing])),
      ),
      5000,
      'the headBulk callback',
    );
    expect<unknown>(typeof result[0]).toBe('string');
    expect<unknown>(result[0]).toContain('WRONGTYPE');
    // The same call without the bad key works: nothing was left broken.
    const ok = await new Promise<unknown[]>((resolve) =>
      plugin.headBulk(['hb-ok', 'hb-missing'], (err, versions, missing) => resolve([err, versions, missing])),
    );
    expect<unknown>(ok).toEqual([null, { 'hb-ok': 3 }, ['hb-missing']]);
  });

  it('an error during headBulk reaches the callback (no server at all)', async () => {
    const nowhere = makePlugin({ url: await unreachableUrl(), operationTimeoutMs: 500 });
    try {
      const started = Date.now();
      const [err] = await within(
        new Promise<unknown[]>((resolve) =>
          nowhere.headBulk(['a', 'b'], (e, versions, missing) => resolve([e, versions, missing])),
        ),
        5000,
        'the headBulk callback',
      );
      expect<unknown>(err).toMatch(/^NOT_READY: /);
      expect<unknown>(Date.now() - started).toBeLessThan(2000);
    } finally {
      await nowhere.close();
    }
  });

  it('with a TTL, version and data are one write: a reader never sees a torn record', async () => {
    const writer = makePlugin({ url: redis.url, prefix, defaultTtl: 60_000 });
    const reader = makePlugin({ url: redis.url, prefix });
    try {
      await Promise.all([writer.whenReady(), reader.whenReady()]);
      let stop = false;
      let writes = 0;
      const writing = (async () => {
        for (let version = 1; !stop; version++) {
          // Several versions in flight at once, as a busy deepstream would write them.
          await Promise.all(
            [0, 1, 2].map((k) => setVia(writer, 'torn', version * 3 + k, { v: version * 3 + k })),
          );
          writes += 3;
        }
      })();
      let reads = 0;
      const torn: unknown[] = [];
      const deadline = Date.now() + 600;
      while (Date.now() < deadline) {
        const batch = await Promise.all([0, 1, 2, 3].map(() => getVia(reader, 'torn')));
        for (const [err, version, data] of batch) {
          reads++;
          if (err !== null || (version !== -1 && (data as { v: number } | null)?.v !== version))
            torn.push([err, version, data]);
        }
      }
      stop = true;
      await within(writing, 5000, 'the writer loop');
      expect<unknown>(torn).toEqual([]);
      expect<unknown>(writes).toBeGreaterThan(30);
      expect<unknown>(reads).toBeGreaterThan(30);
      const pttl = await raw.pttl(`${prefix}torn`);
      expect<unknown>(pttl).toBeGreaterThan(0);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('is what deepstream loads: the default export is the plugin class, versions -1 when missing', async () => {
    const loaded = (await import('@connector-kit/cache-redis')).default;
    expect<unknown>(loaded).toBe(DeepstreamPlugin);
    expect<unknown>(await getVia(plugin, 'never-written')).toEqual([null, -1, null]);
    await setVia(plugin, 'head-me', 7, { any: 'thing' });
    const head = await new Promise<unknown[]>((resolve) =>
      plugin.head('head-me', (err, version) => resolve([err, version])),
    );
    expect<unknown>(head).toEqual([null, 7]);
  });
});
