import { describeConnector, useService } from '@connector-kit/test-suite';
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';
import { describeAutoBatching } from './auto-batching';
import { describeDynamoBehaviours } from './behaviours';
import { unreachableUrl } from './support';

describe('storage-dynamodb on DynamoDB Local', () => {
  const service = useService('dynamodb-local');

  describeConnector({
    name: 'dynamodb (DynamoDB Local)',
    // 1,000 parallel writes queue behind 64 sockets; on a loaded 2-core test machine that can take
    // longer than the 5 s production default, which is about a single request, not a burst.
    create: ({ prefix }) =>
      new DynamoDBStorage({ url: service.url, prefix, createTable: true, operationTimeoutMs: 15_000 }),
    createUnreachable: async () =>
      new DynamoDBStorage({ url: await unreachableUrl(), operationTimeoutMs: 1500 }),
    supports: { ttl: true, ttlGranularityMs: 1000, bulk: true, compareAndSet: true, persistent: true },
  });

  describeDynamoBehaviours(service, 'dynamodb-local');
  describeAutoBatching(service, 'dynamodb-local');
});
