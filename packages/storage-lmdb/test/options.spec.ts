import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConnectorError, createConnector } from '@connector-kit/connector-core';
import defaultExport, {
  DeepstreamPlugin,
  LMDB_MAX_KEY_BYTES,
  LMDB_STORAGE_DEFAULTS,
  LmdbStorage,
  type LmdbStorageOptions,
} from '@connector-kit/storage-lmdb';
import { mergeOptions, resolveSettings } from '@connector-kit/storage-lmdb/dist/options';

const settingsOf = (options: LmdbStorageOptions) => resolveSettings(mergeOptions(options));

function configError(build: () => unknown): ConnectorError {
  try {
    build();
  } catch (err) {
    if (err instanceof ConnectorError && err.code === 'CONFIG') return err;
    throw err;
  }
  throw new Error('expected a CONFIG error');
}

describe('LmdbStorage options and URL', () => {
  const root = mkdtempSync(join(tmpdir(), 'storage-lmdb-options-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads an absolute path, the query and the prefix from lmdb:///…', () => {
    const s = settingsOf({
      url: 'lmdb:///var/lib/app/my%20data?durability=committed&maxValueBytes=1000&sweepIntervalMs=0#tenant:',
    });
    expect(s.path).toBe('/var/lib/app/my data');
    expect(s.durability).toBe('committed');
    expect(s.maxValueBytes).toBe(1000);
    expect(s.sweepIntervalMs).toBe(0);
    expect(s.prefix).toBe('tenant:');
  });

  it('reads lmdb://relative/path (and lmdb://./path) against the working directory', () => {
    expect(settingsOf({ url: 'lmdb://data/records' }).path).toBe(resolve('data/records'));
    expect(settingsOf({ url: 'lmdb://./data' }).path).toBe(resolve('data'));
    expect(settingsOf({ url: 'lmdb://../up' }).path).toBe(resolve('../up'));
    expect(settingsOf({ path: 'rel' }).path).toBe(resolve('rel'));
  });

  it('applies the defaults, and explicit options win over the URL', () => {
    const s = settingsOf({ path: '/tmp/x' });
    expect(s.durability).toBe(LMDB_STORAGE_DEFAULTS.durability);
    expect(s.durability).toBe('flushed');
    expect(s.maxValueBytes).toBe(LMDB_STORAGE_DEFAULTS.maxValueBytes);
    expect(s.sweepIntervalMs).toBe(LMDB_STORAGE_DEFAULTS.sweepIntervalMs);
    expect(s.sweepBatchSize).toBe(LMDB_STORAGE_DEFAULTS.sweepBatchSize);
    expect(s.prefix).toBe('');
    const both = settingsOf({
      url: 'lmdb:///from/url?durability=committed#url:',
      path: '/from/option',
      durability: 'flushed',
      prefix: 'option:',
    });
    expect([both.path, both.durability, both.prefix]).toEqual(['/from/option', 'flushed', 'option:']);
  });

  it('declares the key limit LMDB leaves after the expiry index and the prefix', () => {
    expect(LMDB_MAX_KEY_BYTES).toBe(1978);
    expect(LMDB_STORAGE_DEFAULTS.maxKeyBytes).toBe(1970);
    expect(settingsOf({ path: '/tmp/x', prefix: 'ab:' }).maxKeyBytes).toBe(1967);
    expect(settingsOf({ path: '/tmp/x', prefix: 'é' }).maxKeyBytes).toBe(1968);
  });

  it('refuses unknown and bad options with CONFIG naming the field', () => {
    const field = (options: unknown): unknown =>
      configError(() => new LmdbStorage(options as LmdbStorageOptions)).details.field;
    expect(field({})).toBe('path');
    expect(field({ path: '' })).toBe('path');
    expect(field({ path: 42 })).toBe('path');
    expect(field(null)).toBe('options');
    expect(field({ path: '/tmp/x', mapSize: 1 })).toBe('mapSize');
    expect(field({ path: '/tmp/x', noSync: true })).toBe('noSync');
    expect(field({ path: '/tmp/x', durability: 'none' })).toBe('durability');
    expect(field({ path: '/tmp/x', maxValueBytes: 0 })).toBe('maxValueBytes');
    expect(field({ path: '/tmp/x', maxValueBytes: 1.5 })).toBe('maxValueBytes');
    expect(field({ path: '/tmp/x', maxValueBytes: 2 ** 31 })).toBe('maxValueBytes');
    expect(field({ path: '/tmp/x', sweepIntervalMs: -1 })).toBe('sweepIntervalMs');
    expect(field({ path: '/tmp/x', sweepBatchSize: 0 })).toBe('sweepBatchSize');
    expect(field({ path: '/tmp/x', prefix: 7 })).toBe('prefix');
    expect(field({ path: '/tmp/x', prefix: 'p'.repeat(1970) })).toBe('prefix');
    expect(field({ path: '/tmp/x', operationTimeoutMs: -5 })).toBe('operationTimeoutMs');
    expect(field({ url: 'redis://127.0.0.1:6379' })).toBe('url');
    expect(field({ url: 'lmdb:relative' })).toBe('url');
    expect(field({ url: 'lmdb:///tmp/x?mapSize=1' })).toBe('mapSize');
    expect(field({ url: 'lmdb:///tmp/x?maxValueBytes=lots' })).toBe('maxValueBytes');
    expect(field({ url: 'lmdb:///tmp/x?durability=sometimes' })).toBe('durability');
    expect(field({ url: 'lmdb:///tmp/%E0%A4%A' })).toBe('path');
  });

  it('createConnector("lmdb:///…#prefix") builds an LmdbStorage that works', async () => {
    const path = join(root, 'registry');
    const connector = createConnector(`lmdb://${path}#reg:`);
    expect(connector instanceof LmdbStorage).toBe(true);
    expect(connector.prefix).toBe('reg:');
    expect((connector as LmdbStorage).path).toBe(path);
    await connector.set('k', { via: 'url' }, { version: 2 });
    expect<unknown>(await connector.getEntry('k')).toEqual({ value: { via: 'url' }, version: 2 });
    await connector.close();
  });

  it('exports the deepstream plugin as DeepstreamPlugin and as the default export', async () => {
    expect(defaultExport).toBe(DeepstreamPlugin);
    const plugin = new DeepstreamPlugin({ path: join(root, 'deepstream'), prefix: 'ds:' });
    await plugin.whenReady();
    await new Promise<void>((done, fail) =>
      plugin.set('record/1', 3, { title: 'hello' }, (err) => (err ? fail(new Error(err)) : done())),
    );
    const read = await new Promise<unknown[]>((done) =>
      plugin.get('record/1', (err, version, data) => done([err, version, data])),
    );
    expect(read).toEqual([null, 3, { title: 'hello' }]);
    const missing = await new Promise<unknown[]>((done) =>
      plugin.get('record/none', (err, version, data) => done([err, version, data])),
    );
    expect(missing).toEqual([null, -1, null]);
    expect(plugin.connector.prefix).toBe('ds:');
    await plugin.close();
  });
});
