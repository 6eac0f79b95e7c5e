import { describeConnector, useService } from '@connector-kit/test-suite';
import { msgpackCodec } from '@connector-kit/connector-core';
import { RedisCache } from '@connector-kit/cache-redis';
import { unreachableUrl } from './support';

const SUPPORTS = { ttl: true, ttlGranularityMs: 1, bulk: true, compareAndSet: true, persistent: true };

describe('cache-redis: common spec', () => {
  describe('standalone redis-server', () => {
    const redis = useService('redis');
    describeConnector({
      name: 'redis (standalone)',
      create: ({ prefix }) => new RedisCache({ url: redis.url, prefix }),
      createUnreachable: async () =>
        new RedisCache({ url: await unreachableUrl(), operationTimeoutMs: 1500 }),
      supports: SUPPORTS,
    });
  });

  describe('standalone redis-server, prefix from the URL fragment', () => {
    const redis = useService('redis');
    describeConnector({
      name: 'redis (URL #prefix)',
      create: ({ prefix }) => new RedisCache({ url: `${redis.url}/3#${encodeURIComponent(prefix)}` }),
      supports: SUPPORTS,
    });
  });

  describe('standalone redis-server, MessagePack codec (binary records)', () => {
    const redis = useService('redis');
    describeConnector({
      name: 'redis (msgpack)',
      create: ({ prefix }) => new RedisCache({ url: redis.url, prefix, codec: 'msgpack' }),
      codec: msgpackCodec,
      supports: SUPPORTS,
    });
  });

  describe('Redis Cluster (3 masters)', () => {
    const cluster = useService('redis-cluster');
    describeConnector({
      name: 'redis (cluster)',
      create: ({ prefix }) => new RedisCache({ url: cluster.url, prefix }),
      supports: SUPPORTS,
    });
  });
});
