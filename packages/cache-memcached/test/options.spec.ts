import '@connector-kit/test-suite/dist/services';
import { ConnectorError, createConnector } from '@connector-kit/connector-core';
import { randomPrefix, useService } from '@connector-kit/test-suite';
import {
  DeepstreamPlugin,
  MEMCACHED_DEFAULTS,
  MemcachedCache,
  driver,
  resolveMemcachedOptions,
  type MemcachedCacheOptions,
} from '@connector-kit/cache-memcached';

const T = 20_000;

function configError(options: MemcachedCacheOptions): ConnectorError {
  try {
    resolveMemcachedOptions(options);
  } catch (err) {
    if (err instanceof ConnectorError) return err;
    throw err;
  }
  throw new Error(`expected a CONFIG error for ${JSON.stringify(options)}`);
}

describe('options and URL', () => {
  it('has one DEFAULTS const, applied when nothing is given', () => {
    expect(resolveMemcachedOptions({})).toEqual({
      servers: ['127.0.0.1:11211'],
      maxItemBytes: MEMCACHED_DEFAULTS.maxItemBytes,
      poolSize: MEMCACHED_DEFAULTS.poolSize,
      timeout: MEMCACHED_DEFAULTS.timeout,
      retries: MEMCACHED_DEFAULTS.retries,
      failures: MEMCACHED_DEFAULTS.failures,
      retry: MEMCACHED_DEFAULTS.retry,
      idle: MEMCACHED_DEFAULTS.idle,
      remove: MEMCACHED_DEFAULTS.remove,
      failOverServers: [],
    });
  });

  it('reads servers (default port 11211) and pool options from the URL', () => {
    const resolved = resolveMemcachedOptions({
      url: 'memcached://10.0.0.1:11311,cache-b,[::1]:11411?poolSize=4&timeout=250&retries=1&failures=3&retry=500&idle=9000&remove=true&maxItemBytes=2097152&failOverServers=spare-1,spare-2:11311#app:',
    });
    expect(resolved).toEqual({
      servers: ['10.0.0.1:11311', 'cache-b:11211', '::1:11411'],
      poolSize: 4,
      timeout: 250,
      retries: 1,
      failures: 3,
      retry: 500,
      idle: 9000,
      remove: true,
      maxItemBytes: 2097152,
      failOverServers: ['spare-1:11211', 'spare-2:11311'],
    });
  });

  it('options override the URL', () => {
    const resolved = resolveMemcachedOptions({
      url: 'memcached://a:1?poolSize=4',
      poolSize: 2,
      servers: ['b:2', 'c:3', 'b:2'],
    });
    expect(resolved.poolSize).toBe(2);
    expect(resolved.servers).toEqual(['b:2', 'c:3']);
  });

  it('names the bad field in a CONFIG error', () => {
    const cases: [MemcachedCacheOptions, string][] = [
      [{ url: 'redis://127.0.0.1:6379' }, 'url'],
      [{ url: 'memcached://h:1/db' }, 'url'],
      [{ url: 'memcached://h:1?poolsize=3' }, 'poolsize'],
      [{ url: 'memcached://h:1?timeout=soon' }, 'timeout'],
      [{ url: 'memcached://h:1?remove=maybe' }, 'remove'],
      [{ poolSize: 0 }, 'poolSize'],
      [{ timeout: 1.5 }, 'timeout'],
      [{ retries: -1 }, 'retries'],
      [{ failures: 0 }, 'failures'],
      [{ maxItemBytes: 512 }, 'maxItemBytes'],
      [{ servers: [] }, 'servers'],
      [{ servers: ['host:99999'] }, 'servers'],
      [{ servers: ['bad host:1'] }, 'servers'],
      [{ remove: 'yes' as unknown as boolean }, 'remove'],
      [{ servers: ['a:1'], failOverServers: ['a:1'] }, 'failOverServers'],
      [{ failOverServers: ['no port:x'] }, 'failOverServers'],
    ];
    for (const [options, field] of cases) {
      const err = configError(options);
      expect(err.code).withContext(JSON.stringify(options)).toBe('CONFIG');
      expect(err.details.field).withContext(JSON.stringify(options)).toBe(field);
      expect(err.message).withContext(JSON.stringify(options)).toContain(field);
    }
  });

  it('refuses credentials (the text protocol has none) without echoing the password', () => {
    const err = configError({ url: 'memcached://user:hunter2@127.0.0.1:11211' });
    expect(err.code).toBe('CONFIG');
    expect(err.message).not.toContain('hunter2');
    expect(err.message).toContain('authentication');
  });

  it('bad configuration fails at construction, not later', () => {
    expect(() => new MemcachedCache({ url: 'memcached://h:1?poolSize=-2' })).toThrowMatching(
      (e: unknown) => e instanceof ConnectorError && e.code === 'CONFIG',
    );
  });

  it('is registered for memcached:// (driver export and createConnector)', async () => {
    expect(driver.schemes).toEqual(['memcached']);
    const connector = createConnector('memcached://127.0.0.1:1', { operationTimeoutMs: 200 });
    connector.on('error', () => undefined);
    expect(connector instanceof MemcachedCache).toBe(true);
    await connector.close();
  });
});

describe('deepstream plugin', () => {
  const server = useService('memcached');

  it(
    'gets, sets, heads and headBulks versioned records with the missing list',
    async () => {
      const plugin = new DeepstreamPlugin({ url: server.url, prefix: randomPrefix() });
      try {
        await plugin.whenReady();
        await new Promise<void>((resolve, reject) =>
          plugin.set('record/a', 4, { name: 'a' }, (err) => (err ? reject(new Error(err)) : resolve())),
        );
        const got = await new Promise<unknown[]>((resolve) =>
          plugin.get('record/a', (err, version, data) => resolve([err, version, data])),
        );
        expect(got).toEqual([null, 4, { name: 'a' }]);
        const missing = await new Promise<unknown[]>((resolve) =>
          plugin.get('record/none', (err, version, data) => resolve([err, version, data])),
        );
        expect(missing).toEqual([null, -1, null]);
        const head = await new Promise<unknown[]>((resolve) =>
          plugin.head('record/a', (err, version) => resolve([err, version])),
        );
        expect(head).toEqual([null, 4]);
        const bulk = await new Promise<unknown[]>((resolve) =>
          plugin.headBulk(['record/a', 'record/none', 'with space'], (err, versions, missingNames) =>
            resolve([err, versions, missingNames]),
          ),
        );
        expect(bulk).toEqual([null, { 'record/a': 4 }, ['record/none', 'with space']]);
        await new Promise<void>((resolve, reject) =>
          plugin.deleteBulk(['record/a'], (err) => (err ? reject(new Error(err)) : resolve())),
        );
        const gone = await new Promise<unknown[]>((resolve) =>
          plugin.head('record/a', (err, version) => resolve([err, version])),
        );
        expect(gone).toEqual([null, -1]);
      } finally {
        await plugin.close();
      }
    },
    T,
  );
});
