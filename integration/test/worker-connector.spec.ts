import { MemoryCache, TieredStore, WorkerConnector } from '@connector-kit/connector-core';
import { describeConnector, freePort, useService } from '@connector-kit/test-suite';

// Real servers behind a worker thread: the connector the thread builds shares one backend
// across prefixes, so the spec's persistence and isolation cases hold here too.

describe('WorkerConnector running Redis', () => {
  const redis = useService('redis');
  describeConnector({
    name: 'WorkerConnector running redis://',
    create: ({ prefix }) => WorkerConnector.start({ url: `${redis.url}#${encodeURIComponent(prefix)}` }),
    createUnreachable: async () =>
      WorkerConnector.start({ url: `redis://127.0.0.1:${await freePort()}`, operationTimeoutMs: 1500 }),
    supports: { ttl: true, bulk: true, compareAndSet: true, persistent: true },
  });
});

describe('WorkerConnector running DynamoDB Local', () => {
  const dynamo = useService('dynamodb-local');
  describeConnector({
    name: 'WorkerConnector running dynamodb://',
    create: ({ prefix }) =>
      WorkerConnector.start({ url: dynamo.url, connector: { createTable: true, prefix } }),
    supports: { persistent: true },
    timeoutMs: 40_000,
  });
});

describe('TieredStore memory → DynamoDB Local in a worker thread', () => {
  const dynamo = useService('dynamodb-local');
  describeConnector({
    name: 'TieredStore memory → WorkerConnector(dynamodb://)',
    create: async ({ prefix }) =>
      new TieredStore({
        prefix,
        caches: [new MemoryCache()],
        storage: await WorkerConnector.start({ url: dynamo.url, connector: { createTable: true } }),
      }),
    supports: { persistent: true, compareAndSet: false },
    timeoutMs: 40_000,
  });
});
