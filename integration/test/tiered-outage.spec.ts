import { ConnectorError, MemoryCache, TieredStore, type JsonValue } from '@connector-kit/connector-core';
import { RedisCache } from '@connector-kit/cache-redis';
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';
import { sleep, useService } from '@connector-kit/test-suite';

describe('TieredStore storage outage (real DynamoDB Local, killed and restarted)', () => {
  const redis = useService('redis');
  const dynamo = useService('dynamodb-local', { persistent: true });

  it('after flush(), storage holds exactly the last acknowledged value of every key', async () => {
    const errors: ConnectorError[] = [];
    const store = new TieredStore({
      caches: [new MemoryCache(), new RedisCache({ url: redis.url })],
      storage: new DynamoDBStorage({ url: dynamo.url, createTable: true, operationTimeoutMs: 2000 }),
      writeBehind: { retryInitialDelayMs: 100, retryMaxDelayMs: 1000 },
      prefix: `outage-${Date.now()}:`,
    });
    store.on('error', (e: ConnectorError) => errors.push(e));
    await store.whenReady();
    const acknowledged = new Map<string, JsonValue>();
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    let round = 0;
    const burst = async (rounds: number): Promise<void> => {
      for (let r = 0; r < rounds; r++, round++) {
        await Promise.all(
          keys.map(async (key, i) => {
            const value = { round, i };
            if ((round + i) % 7 === 0) {
              await store.delete(key);
              acknowledged.delete(key);
            } else {
              await store.set(key, value);
              acknowledged.set(key, value);
            }
          }),
        );
      }
    };
    await burst(3);
    const node = dynamo.handle.nodes[0]!;
    const killing = node.kill('SIGKILL');
    await burst(5); // acknowledged while storage dies and is down
    await killing;
    await burst(5);
    await sleep(3000); // "several seconds" of outage, with retries failing
    expect(errors.length).toBeGreaterThan(0);
    expect(store.stats().tiered.storageLagMs).toBeGreaterThan(2000);
    await node.restart();
    await burst(2);
    await store.flush(60_000);
    expect(store.stats().tiered.queue.depth).toBe(0);

    const check = new DynamoDBStorage({ url: dynamo.url, prefix: store.prefix });
    check.on('error', () => undefined);
    const stored = await check.getBulk(keys);
    keys.forEach((key, i) =>
      expect<unknown>(stored[i])
        .withContext(key)
        .toEqual(acknowledged.get(key) ?? null),
    );
    await Promise.all([check.close(), store.close()]);
  }, 150_000);
});
