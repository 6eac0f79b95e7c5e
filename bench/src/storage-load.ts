/**
 * A child process that gives a storage server the write load a tiered store's write-behind
 * queue gives it in the tiered suite (1,000 hot keys, writeDelayMs 1 s: 1,000 writes a second in
 * batches of 100, 4 at a time), while the parent measures something else. It shows how much of
 * the tiered set's latency comes from the storage server sharing this machine's cores rather than
 * from the store. Controlled over IPC: 'start', 'stop'; it answers 'ready' once connected.
 */
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';

const KEYS = 1000;
const BATCH = 100;
const CONCURRENCY = 4;
const WINDOW_MS = 1000;
const VALUE = { payload: 'x'.repeat(80), n: 1 };

async function main(): Promise<void> {
  // Ends with its parent, however the parent ends (a failed suite does not kill it first).
  process.on('disconnect', () => process.exit(0));
  const storage = new DynamoDBStorage({ url: process.argv[2]!, createTable: true, prefix: 'storage-load:' });
  storage.on('error', () => undefined);
  await storage.whenReady();
  let running = false;
  let round = 0;
  process.on('message', (message) => {
    if (message === 'start') running = true;
    else if (message === 'stop') running = false;
  });
  process.send?.('ready');
  for (;;) {
    const started = Date.now();
    if (running) {
      round++;
      const batches = Array.from({ length: KEYS / BATCH }, (_, b) =>
        Array.from({ length: BATCH }, (_, i) => ({
          key: `hot-${b * BATCH + i}`,
          value: { ...VALUE, n: round },
        })),
      );
      const next = async (): Promise<void> => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) await storage.setBulk(batch);
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, next));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(10, WINDOW_MS - (Date.now() - started))));
  }
}

main().catch((err: unknown) => {
  console.error('storage-load:', err);
  process.exit(1);
});
