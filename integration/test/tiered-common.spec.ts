import { MemoryCache, TieredStore } from '@connector-kit/connector-core';
import { RedisCache } from '@connector-kit/cache-redis';
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';
import { MongoStorage } from '@connector-kit/storage-mongodb';
import { describeConnector, useService } from '@connector-kit/test-suite';

describe('TieredStore memory → Redis → DynamoDB Local', () => {
  const redis = useService('redis');
  const dynamo = useService('dynamodb-local');
  describeConnector({
    name: 'TieredStore memory → Redis → DynamoDB Local',
    create: ({ prefix }) =>
      new TieredStore({
        prefix,
        caches: [new MemoryCache(), new RedisCache({ url: redis.url })],
        storage: new DynamoDBStorage({ url: dynamo.url, createTable: true }),
      }),
    supports: { persistent: true, compareAndSet: false },
    timeoutMs: 40_000,
  });
});

describe('TieredStore memory → MongoDB', () => {
  const mongo = useService('mongodb');
  describeConnector({
    name: 'TieredStore memory → MongoDB',
    create: ({ prefix }) =>
      new TieredStore({
        prefix,
        caches: [new MemoryCache()],
        storage: new MongoStorage({ url: mongo.url }),
      }),
    supports: { persistent: true, compareAndSet: false },
    timeoutMs: 40_000,
  });
});
