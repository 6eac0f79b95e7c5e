import { describeConnector, useService } from '@connector-kit/test-suite';
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';
import { describeDynamoBehaviours } from './behaviours';
import { unreachableUrl } from './support';

describe('storage-dynamodb on dynalite', () => {
  const service = useService('dynalite');

  describeConnector({
    name: 'dynamodb (dynalite)',
    create: ({ prefix }) => new DynamoDBStorage({ url: service.url, prefix, createTable: true }),
    createUnreachable: async () =>
      new DynamoDBStorage({ url: await unreachableUrl(), operationTimeoutMs: 1500 }),
    supports: { ttl: true, ttlGranularityMs: 1000, bulk: true, compareAndSet: true, persistent: true },
  });

  describeDynamoBehaviours(service, 'dynalite');
});
