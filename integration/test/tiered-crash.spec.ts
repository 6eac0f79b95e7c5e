import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type ConnectorError, type JsonValue, TieredStore } from '@connector-kit/connector-core';
import { RedisCache } from '@connector-kit/cache-redis';
import { DynamoDBStorage } from '@connector-kit/storage-dynamodb';
import { useService } from '@connector-kit/test-suite';

describe('TieredStore crash safety (Redis journal, SIGKILL between ack and storage write)', () => {
  const redis = useService('redis');
  const dynamo = useService('dynamodb-local');

  it('a new process completes every acknowledged write', async () => {
    const prefix = `crash-${Date.now()}:`;
    const child = spawn(process.execPath, [join(__dirname, 'crash-child.js')], {
      env: { ...process.env, CRASH_PREFIX: prefix, CRASH_REDIS_URL: redis.url, CRASH_DYNAMO_URL: dynamo.url },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const lines = createInterface({ input: child.stdout! });
    // Lines already in the pipe when SIGKILL lands are real acknowledgements: read them all.
    const drained = new Promise<void>((resolve) => lines.once('close', () => resolve()));
    // For each key: the last acknowledged value, and the value of a write issued but not acknowledged.
    const acked = new Map<string, JsonValue>();
    const attempted = new Map<string, JsonValue>();
    let acks = 0;
    const frozen = dynamo.handle.nodes[0]!;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('child did not get far enough in 60 s')), 60_000);
        child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
        lines.on('line', (line) => {
          const [kind, key, json] = line.split(' ');
          if (kind === 'ready') {
            frozen.pause(); // storage freezes: every acknowledged write stays in the queue
            child.stdin!.write('go\n');
          } else if (kind === 'try') {
            attempted.set(key!, JSON.parse(json!) as JsonValue);
          } else if (kind === 'ack') {
            acked.set(key!, attempted.get(key!)!);
            attempted.delete(key!);
            if (++acks === 300 && child.exitCode === null) {
              child.kill('SIGKILL');
              clearTimeout(timer);
              resolve();
            }
          }
        });
      });
      await exited;
      await drained;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      frozen.resume();
    }
    expect(acks).toBeGreaterThanOrEqual(300);
    // The killed child's requests may still sit in the frozen server's socket buffers; let it
    // drain them before the new process writes, as an operator would wait out a zombie writer.
    await new Promise((r) => setTimeout(r, 3000));

    const errors: ConnectorError[] = [];
    const next = new TieredStore({
      caches: [new RedisCache({ url: redis.url })],
      storage: new DynamoDBStorage({ url: dynamo.url, createTable: true }),
    });
    next.on('error', (e: ConnectorError) => errors.push(e));
    await next.whenReady();
    expect(next.stats().tiered.journalRecovered).toBeGreaterThan(0);
    await next.flush(60_000);
    const check = new DynamoDBStorage({ url: dynamo.url, prefix });
    check.on('error', () => undefined);
    for (let k = 0; k < 25; k++) {
      const key = `key-${k}`;
      const stored = await check.get(key);
      const allowed = [acked.has(key) ? acked.get(key) : null];
      if (attempted.has(key)) allowed.push(attempted.get(key)!);
      expect(allowed.map((v) => JSON.stringify(v ?? null)))
        .withContext(key)
        .toContain(JSON.stringify(stored));
    }
    expect(errors.filter((e) => e.code !== 'BACKEND')).toEqual([]);
    await Promise.all([check.close(), next.close()]);
  }, 180_000);

  it("recovery gives storage what is left of a journaled set's TTL", async () => {
    const prefix = `crash-ttl-${Date.now()}:`;
    const journalName = `${prefix}journal`;
    // The first process loses its storage (connector closed under it), so its writes stay
    // journaled in Redis when it goes away.
    const lostStorage = new DynamoDBStorage({ url: dynamo.url, createTable: true });
    const first = new TieredStore({
      prefix,
      journalName,
      closeTimeoutMs: 200,
      caches: [new RedisCache({ url: redis.url })],
      storage: lostStorage,
    });
    first.on('error', () => undefined);
    await first.whenReady();
    await lostStorage.close();
    await first.set('expiring', { v: 1 }, { ttl: 6000 });
    await first.set('lasting', { v: 2 });
    const expiresBy = Date.now() + 6000;
    await first.close();

    const next = new TieredStore({
      prefix,
      journalName,
      caches: [new RedisCache({ url: redis.url })],
      storage: new DynamoDBStorage({ url: dynamo.url, createTable: true }),
    });
    next.on('error', () => undefined);
    await next.whenReady();
    expect(next.stats().tiered.journalRecovered).toBe(2);
    await next.flush(30_000);
    const check = new DynamoDBStorage({ url: dynamo.url, prefix });
    try {
      expect<unknown>(await check.getBulk(['expiring', 'lasting'])).toEqual([{ v: 1 }, { v: 2 }]);
      // Storage gets what is left rounded up to its granularity (1 s), and DynamoDB keeps expiry
      // in whole seconds: up to 2 s past the cache's expiry.
      await new Promise((r) => setTimeout(r, expiresBy + 2500 - Date.now()));
      expect<unknown>(await check.getBulk(['expiring', 'lasting'])).toEqual([null, { v: 2 }]);
    } finally {
      await Promise.all([check.close(), next.close()]);
    }
  }, 60_000);
});
