/**
 * Child process of the crash test: writes through a Redis-journalled tiered store and reports
 * each write before it is issued ("try") and once it is acknowledged ("ack"). The parent kills it
 * with SIGKILL; nothing here gets a chance to flush.
 */
import { TieredStore } from '@connector-kit/connector-core';
import { RedisCache } from '@connector-kit/cache-redis';
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';

const store = new TieredStore({
  prefix: process.env.CRASH_PREFIX ?? '',
  caches: [new RedisCache({ url: process.env.CRASH_REDIS_URL })],
  storage: new DynamoDBStorage({ url: process.env.CRASH_DYNAMO_URL, createTable: true }),
  operationTimeoutMs: 30_000,
});
store.on('error', () => undefined); // storage is frozen on purpose: retries fail

async function main(): Promise<void> {
  await store.whenReady();
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  for (let i = 0; ; i++) {
    const key = `key-${i % 25}`;
    const del = i % 9 === 4;
    const value = { i };
    process.stdout.write(`try ${key} ${del ? 'null' : JSON.stringify(value)}\n`);
    if (del) await store.delete(key);
    else await store.set(key, value);
    process.stdout.write(`ack ${key}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-child failed: ${String(err)}\n`);
  process.exit(1);
});
