import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConnectorError } from '@connector-kit/connector-core';
import { RedisCache, type RedisCacheOptions } from '@connector-kit/cache-redis';
import { resolveEndpoint } from '@connector-kit/cache-redis/dist/endpoint';

function configError(build: () => unknown): ConnectorError {
  try {
    build();
  } catch (err) {
    if (err instanceof ConnectorError && err.code === 'CONFIG') return err;
    throw err;
  }
  throw new Error('expected a CONFIG error');
}

/** Builds a connector only to check its configuration, closing it before it connects. */
function construct(options: RedisCacheOptions): RedisCache {
  const cache = new RedisCache(options);
  cache.on('error', () => undefined);
  void cache.close();
  return cache;
}

describe('cache-redis: URL and options', () => {
  it('reads host, port, database, credentials and prefix from redis://', () => {
    const endpoint = resolveEndpoint({}, 'redis://alice:p%40ss@10.0.0.5:6390/4#app:');
    expect(endpoint.topology).toEqual({ kind: 'standalone', host: '10.0.0.5', port: 6390 });
    expect(endpoint.db).toBe(4);
    expect(endpoint.username).toBe('alice');
    expect(endpoint.password).toBe('p@ss');
    expect(endpoint.tls).toBeUndefined();
    expect(endpoint.redacted).not.toContain('p@ss');
    expect(construct({ url: 'redis://10.0.0.5:6390/4#app:' }).prefix).toBe('app:');
  });

  it('defaults to 127.0.0.1:6379, database 0', () => {
    expect(resolveEndpoint({}, 'redis://')).toEqual(
      jasmine.objectContaining({ topology: { kind: 'standalone', host: '127.0.0.1', port: 6379 }, db: 0 }),
    );
    expect(resolveEndpoint({}, undefined).topology).toEqual({
      kind: 'standalone',
      host: '127.0.0.1',
      port: 6379,
    });
  });

  it('turns TLS on for rediss:// and reads CA, certificate and key files named in the query', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-redis-endpoint-'));
    try {
      const ca = path.join(dir, 'ca.pem');
      fs.writeFileSync(ca, 'CA PEM');
      const endpoint = resolveEndpoint(
        {},
        `rediss://h:1?ca=${encodeURIComponent(ca)}&servername=redis.local`,
      );
      expect(Buffer.from(endpoint.tls!.ca as Buffer).toString()).toBe('CA PEM');
      expect(endpoint.tls!.servername).toBe('redis.local');
      expect(resolveEndpoint({}, 'rediss://h:1').tls).toEqual({});
      const missing = configError(() =>
        resolveEndpoint({}, `rediss://h:1?ca=${encodeURIComponent(path.join(dir, 'nope.pem'))}`),
      );
      expect(missing.details.field).toBe('ca');
      expect(missing.message).toContain('nope.pem');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a cluster from redis+cluster:// seed nodes', () => {
    const endpoint = resolveEndpoint({}, 'redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001,[::1]#p');
    expect(endpoint.topology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
        { host: '::1', port: 6379 },
      ],
    });
    expect(endpoint.password).toBe('pw');
    expect(configError(() => resolveEndpoint({}, 'redis+cluster://h:1/2')).details.field).toBe('db');
  });

  it('reads Sentinels and the master name from redis+sentinel://', () => {
    const endpoint = resolveEndpoint(
      { sentinelPassword: 'sp' },
      'redis+sentinel://:pw@s1:26380,s2/mymaster?db=2#prefix',
    );
    expect(endpoint.topology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
    });
    expect(endpoint.db).toBe(2);
    expect(endpoint.password).toBe('pw');
    expect(endpoint.sentinelPassword).toBe('sp');
    expect(configError(() => resolveEndpoint({}, 'redis+sentinel://s1')).message).toContain('mymaster');
  });

  it('lets explicit options win over the URL', () => {
    const endpoint = resolveEndpoint(
      { password: 'opt', db: 7, tls: { servername: 'x' } },
      'redis://:url@h:1/3',
    );
    expect(endpoint.password).toBe('opt');
    expect(endpoint.db).toBe(7);
    expect(endpoint.tls).toEqual({ servername: 'x' });
    expect(resolveEndpoint({ nodes: [{ host: 'a', port: 1 }] }, undefined).topology.kind).toBe('cluster');
    expect(resolveEndpoint({ host: 'b', port: 2 }, undefined).topology).toEqual({
      kind: 'standalone',
      host: 'b',
      port: 2,
    });
  });

  it('fails at construction with CONFIG naming the bad field, never echoing the password', () => {
    const cases: [RedisCacheOptions, string][] = [
      [{ url: 'redis://:topsecret@h:1/x' }, 'db'],
      [{ url: 'redis://:topsecret@h:1?bogus=1' }, 'bogus'],
      [{ url: 'redis://:topsecret@h:1?ca=/x' }, 'ca'],
      [{ url: 'redis://:topsecret@h1:1,h2:2' }, 'url'],
      [{ url: 'memcached://:topsecret@h:1' }, 'url'],
      [{ url: 'redis://:topsecret@h:99999' }, 'port'],
      [{ url: 'redis+cluster://:topsecret@h:1', masterUrl: 'redis://h:2' }, 'masterUrl'],
      [{ url: 'redis://:topsecret@h:1', maxBatchKeys: 0 }, 'maxBatchKeys'],
      [{ url: 'redis://:topsecret@h:1', stallTimeoutMs: -1 }, 'stallTimeoutMs'],
      [{ url: 'redis://:topsecret@h:1', db: -1 }, 'db'],
      [{ url: 'redis://:topsecret@h:1', client: {} as never }, 'client'],
      [{ url: 'redis://:topsecret@h:1?defaultTtl=soon' }, 'defaultTtl'],
      // The older deepstream connectors took `ttl` in seconds: refused with a hint, not ignored.
      [{ url: 'redis://:topsecret@h:1', ttl: 86400 } as RedisCacheOptions, 'ttl'],
    ];
    for (const [options, field] of cases) {
      const err = configError(() => new RedisCache(options));
      expect(err.details.field).withContext(JSON.stringify(options)).toBe(field);
      expect(err.message).not.toContain('topsecret');
    }
    expect(configError(() => new RedisCache({ ttl: 60 } as RedisCacheOptions)).message).toContain(
      'defaultTtl, in milliseconds',
    );
  });

  it('takes connector settings from the query: defaultTtl, operationTimeoutMs, connectTimeoutMs', () => {
    const cache = construct({
      url: 'redis://h:1?defaultTtl=60000&operationTimeoutMs=1234&connectTimeoutMs=999',
    });
    const settings = cache as unknown as {
      defaultTtl: number;
      operationTimeoutMs: number;
      connectTimeoutMs: number;
    };
    expect(settings.defaultTtl).toBe(60000);
    expect(settings.operationTimeoutMs).toBe(1234);
    expect(settings.connectTimeoutMs).toBe(999);
  });
});
