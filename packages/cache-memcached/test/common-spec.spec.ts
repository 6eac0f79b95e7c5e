import '@connector-kit/test-suite/dist/services';
import { describeConnector, useService } from '@connector-kit/test-suite';
import { MemcachedCache } from '@connector-kit/cache-memcached';

/** The full common spec against one memcached server and against a pool of three. */
for (const service of ['memcached', 'memcached-pool'] as const) {
  describe(`on ${service}`, () => {
    const server = useService(service);
    describeConnector({
      name: `MemcachedCache (${service})`,
      create: ({ prefix }) => new MemcachedCache({ url: server.url, prefix }),
      // Port 1 on loopback: nothing listens, connections are refused.
      createUnreachable: () =>
        new MemcachedCache({ url: 'memcached://127.0.0.1:1', operationTimeoutMs: 1500 }),
      supports: { ttl: true, ttlGranularityMs: 1000, bulk: true, compareAndSet: true, persistent: true },
    });
  });
}
