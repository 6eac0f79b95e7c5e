import {
  ConnectorError,
  createConnector,
  MemoryCache,
  parseConnectorUrl,
  registerDriver,
  registeredSchemes,
  resolveDriver,
} from '@connector-kit/connector-core';

describe('driver registry and createConnector', () => {
  it('creates the built-in memory cache from a URL with options in the query and the prefix in the fragment', async () => {
    const c = createConnector('memory://?maxEntries=10&maxValueBytes=2048#tenant-a:');
    expect(c instanceof MemoryCache).toBe(true);
    expect(c.prefix).toBe('tenant-a:');
    expect(c.supports.maxValueBytes).toBe(2048);
    expect((c as MemoryCache).store.maxEntries).toBe(10);
    await c.set('k', 1);
    expect((c as MemoryCache).store.get('tenant-a:k')).toBeDefined();
    await c.close();
  });

  it('accepts an options object with a url, and options override the URL', async () => {
    const c = createConnector({ url: 'memory://#from-url:', prefix: 'from-options:' });
    expect(c.prefix).toBe('from-options:');
    await c.close();
  });

  it('knows the schemes of every kit package', () => {
    expect(registeredSchemes()).toEqual(
      jasmine.arrayContaining([
        'memory',
        'redis',
        'rediss',
        'redis+cluster',
        'memcached',
        'mongodb',
        'mongodb+srv',
        'dynamodb',
        'lmdb',
      ]),
    );
  });

  it('fails with CONFIG naming the scheme for an unknown scheme', () => {
    try {
      createConnector('postgres://h/db');
      fail('expected CONFIG');
    } catch (err) {
      expect((err as ConnectorError).code).toBe('CONFIG');
      expect((err as ConnectorError).message).toContain('postgres://');
    }
  });

  it('registers third-party drivers', async () => {
    registerDriver({
      name: 'mine',
      schemes: ['mine'],
      create: (o) =>
        new MemoryCache({ ...o, url: undefined, prefix: parseConnectorUrl(String(o.url)).prefix }),
    });
    expect(resolveDriver('MINE').name).toBe('mine');
    const c = createConnector('mine://anything#p:');
    expect(c.prefix).toBe('p:');
    await c.close();
    expect(() => registerDriver({} as never)).toThrowMatching((e) => (e as ConnectorError).code === 'CONFIG');
  });

  it('needs a URL', () => {
    expect(() => createConnector({} as never)).toThrowMatching(
      (e) => (e as ConnectorError).details.field === 'url',
    );
  });
});
