/**
 * Outages of a real DynamoDB Local (persistent, so acknowledged data must survive a crash):
 * killed in the middle of a stream of writes and restarted, and frozen with its sockets open.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConnectorError } from '@connector-kit/connector-core';
import {
  eventually,
  randomPrefix,
  sleep,
  useService,
  withUnhandledRejectionWatch,
  type ServiceNode,
} from '@connector-kit/test-suite';
import type { DynamoDBStorage } from '@connector-kit/storage-dynamodb';
import { connectorOn, countCommands, rawClient, tableOf } from './support';

const T = 90_000;
const OPERATION_TIMEOUT_MS = 2000;

/**
 * After an outage: every failure was a ConnectorError with an outage code, every 'error' event a
 * ConnectorError, and every key holds its last acknowledged value, or a later one whose write was
 * cut off after DynamoDB applied it — never an older one.
 */
async function expectOutageSettled(
  c: DynamoDBStorage,
  failures: readonly unknown[],
  errors: readonly unknown[],
  acknowledged: ReadonlyMap<string, number>,
): Promise<void> {
  for (const failure of failures) {
    expect(failure instanceof ConnectorError)
      .withContext(String(failure))
      .toBe(true);
    expect(['BACKEND', 'NOT_READY', 'TIMEOUT']).toContain((failure as ConnectorError).code);
  }
  expect(errors.every((e) => e instanceof ConnectorError)).toBe(true);
  const stored = await c.getBulk([...acknowledged.keys()]);
  [...acknowledged.values()].forEach((value, i) => {
    expect(typeof stored[i]).toBe('number');
    expect(stored[i] as number).toBeGreaterThanOrEqual(value);
  });
}

describe('storage-dynamodb when DynamoDB Local fails', () => {
  const service = useService('dynamodb-local', { persistent: true });
  let connector: DynamoDBStorage | null = null;
  /** The launched process; an external server (DYNAMODB_ENDPOINT) cannot be killed from here. */
  const serverNode = (): ServiceNode => {
    const node = service.handle.nodes[0];
    if (!node) pending('DynamoDB Local is external (DYNAMODB_ENDPOINT): fault tests need a launched server');
    return node!;
  };
  let ownClient: DynamoDBClient | null = null;
  /** A connector the afterEach closes; on `client` (which afterEach destroys) when given. */
  const open = (client?: DynamoDBClient): DynamoDBStorage => {
    ownClient = client ?? null;
    const c = connectorOn(service, {
      ...(client ? { client, table: tableOf(service) } : {}),
      prefix: randomPrefix(),
      operationTimeoutMs: OPERATION_TIMEOUT_MS,
    });
    connector = c;
    return c;
  };
  afterEach(async () => {
    await connector?.close();
    connector = null;
    ownClient?.destroy();
    ownClient = null;
  }, T);

  it(
    'killed mid-stream: writes fail with ConnectorErrors, "error" is emitted, and after a restart it recovers with acknowledged writes intact',
    async () => {
      const node = serverNode();
      const c = open();
      const errors: unknown[] = [];
      c.on('error', (err: unknown) => errors.push(err));
      await c.whenReady();

      const unhandled = await withUnhandledRejectionWatch(async () => {
        const acknowledged = new Map<string, number>();
        const failures: unknown[] = [];
        let stop = false;
        let successesAfterRestart = 0;
        let restarted = false;
        // One writer, one write at a time: the last acknowledged value per key is well defined.
        const writer = (async () => {
          for (let i = 0; !stop; i++) {
            const key = `k${i % 20}`;
            try {
              await c.set(key, i);
              acknowledged.set(key, i);
              if (restarted) successesAfterRestart++;
            } catch (err) {
              failures.push(err);
              await sleep(20);
            }
          }
        })();
        await eventually(() => acknowledged.size === 20, 10_000, 'writes before the crash');

        await node.kill('SIGKILL');
        await eventually(
          () => failures.length > 0 && errors.length > 0,
          15_000,
          'failed writes and an "error" event',
        );
        expect(c.isReady).toBe(false);

        await node.restart();
        restarted = true;
        await eventually(() => c.isReady, 30_000, 'the connector to be ready again');
        await eventually(() => successesAfterRestart >= 20, 15_000, 'writes after the restart');
        stop = true;
        await writer;

        await expectOutageSettled(c, failures, errors, acknowledged);
      });
      expect(unhandled).toEqual([]);
    },
    T,
  );

  it(
    'killed while auto-batches are in flight: every batched call fails at once (no item-by-item resend), "error" is emitted, and batches resume after a restart with acknowledged writes intact',
    async () => {
      const node = serverNode();
      const client = rawClient(service);
      const counts = countCommands(client);
      const count = (name: string): number => counts.get(name) ?? 0;
      const c = open(client);
      const errors: unknown[] = [];
      c.on('error', (err: unknown) => errors.push(err));
      await c.whenReady();

      const unhandled = await withUnhandledRejectionWatch(async () => {
        const WRITERS = 64;
        const acknowledged = new Map<string, number>();
        const failures: unknown[] = [];
        let stop = false;
        let restarted = false;
        let successesAfterRestart = 0;
        // After a failure the writers pause together and retry in one tick, so their retries
        // meet in batches too (writers woken by timers of their own would each go alone).
        let pause: Promise<void> | null = null;
        const pauseTogether = (): Promise<void> =>
          (pause ??= sleep(20).then(() => {
            pause = null;
          }));
        // 64 writers, each on its own key, one write at a time: their writes meet in batches.
        const writers = Array.from({ length: WRITERS }, async (_, w) => {
          const key = `w${w}`;
          for (let i = 0; !stop; i++) {
            try {
              await c.set(key, i);
              acknowledged.set(key, i);
              if (restarted) successesAfterRestart++;
            } catch (err) {
              failures.push(err);
              await pauseTogether();
            }
          }
        });
        await eventually(
          () => acknowledged.size === WRITERS && count('BatchWriteItemCommand') >= 20,
          10_000,
          'batched writes before the crash',
        );

        const putsBefore = count('PutItemCommand');
        await node.kill('SIGKILL');
        await eventually(
          () => failures.length >= 25 && errors.length > 0,
          15_000,
          'failed batched writes and an "error" event',
        );
        expect(c.isReady).toBe(false);
        // A lost connection fails a batch's calls together; resending each item alone would
        // only multiply the failed requests.
        const putsDuringOutage = count('PutItemCommand') - putsBefore;
        expect(putsDuringOutage).toBeLessThan(WRITERS / 4);

        await node.restart();
        restarted = true;
        const batchesAtRestart = count('BatchWriteItemCommand');
        await eventually(() => c.isReady, 30_000, 'the connector to be ready again');
        await eventually(() => successesAfterRestart >= 3 * WRITERS, 15_000, 'writes after the restart');
        expect(count('BatchWriteItemCommand')).toBeGreaterThan(batchesAtRestart);
        stop = true;
        await Promise.all(writers);

        await expectOutageSettled(c, failures, errors, acknowledged);
      });
      expect(unhandled).toEqual([]);
    },
    T,
  );

  it(
    'frozen (SIGSTOP): the requests themselves, lone and batched, are aborted at the deadline rather than left hanging',
    async () => {
      const node = serverNode();
      // This client has no request timeout and no retries: only the connector's deadline ends a request.
      const client = rawClient(service);
      const ended: { name: string; at: number }[] = [];
      client.middlewareStack.add(
        (next) => async (args) => {
          try {
            return await next(args);
          } catch (err) {
            ended.push({ name: err instanceof Error ? err.name : String(err), at: Date.now() });
            throw err;
          }
        },
        { step: 'initialize', name: 'endWatch' },
      );
      const c = open(client);
      await c.whenReady();
      ended.length = 0; // start-up may have seen "no such table" before creating it
      node.pause();
      try {
        const started = Date.now();
        const results = await Promise.allSettled([
          c.get('lone'),
          (async () => {
            await sleep(50);
            return Promise.all(Array.from({ length: 10 }, (_, i) => c.get(`batched-${i}`)));
          })(),
        ]);
        for (const result of results) {
          expect(result.status).toBe('rejected');
          if (result.status === 'rejected') expect((result.reason as ConnectorError).code).toBe('TIMEOUT');
        }
        // One GetItem and one BatchGetItem, each ended by its abort signal soon after the deadline.
        await eventually(() => ended.length >= 2, OPERATION_TIMEOUT_MS, 'the requests to be aborted');
        expect(ended.map((e) => e.name)).toEqual(['AbortError', 'AbortError']);
        expect(Math.max(...ended.map((e) => e.at)) - started).toBeLessThan(OPERATION_TIMEOUT_MS + 50 + 500);
      } finally {
        node.resume();
      }
      await eventually(() => c.isReady, 10_000, 'readiness after resume');
    },
    T,
  );

  it(
    'frozen (SIGSTOP): operations fail with TIMEOUT within their timeout, and work again once it resumes',
    async () => {
      const node = serverNode();
      const c = open();
      await c.whenReady();
      await c.set('before', 1);
      node.pause();
      try {
        const started = Date.now();
        const outcome = await c.get('before').then(
          () => null,
          (err: unknown) => err,
        );
        const elapsed = Date.now() - started;
        expect(outcome instanceof ConnectorError).toBe(true);
        expect((outcome as ConnectorError).code).toBe('TIMEOUT');
        expect(elapsed).toBeLessThan(OPERATION_TIMEOUT_MS + 1000);
      } finally {
        node.resume();
      }
      await eventually(() => c.isReady, 10_000, 'readiness after resume');
      let value: unknown = null;
      const deadline = Date.now() + 10_000;
      // The first requests after SIGCONT may still queue behind the server's backlog.
      while (Date.now() < deadline) {
        value = await c.get('before').catch(() => null);
        if (value === 1) break;
        await sleep(100);
      }
      expect(value).toBe(1);
    },
    T,
  );
});
