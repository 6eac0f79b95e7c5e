/**
 * Outages of a real DynamoDB Local (persistent, so acknowledged data must survive a crash):
 * killed in the middle of a stream of writes and restarted, and frozen with its sockets open.
 */
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
import { connectorOn } from './support';

const T = 90_000;
const OPERATION_TIMEOUT_MS = 2000;

describe('storage-dynamodb when DynamoDB Local fails', () => {
  const service = useService('dynamodb-local', { persistent: true });
  let connector: DynamoDBStorage | null = null;
  /** The launched process; an external server (DYNAMODB_ENDPOINT) cannot be killed from here. */
  const serverNode = (): ServiceNode => {
    const node = service.handle.nodes[0];
    if (!node) pending('DynamoDB Local is external (DYNAMODB_ENDPOINT): fault tests need a launched server');
    return node!;
  };
  afterEach(async () => {
    await connector?.close();
    connector = null;
  }, T);

  it(
    'killed mid-stream: writes fail with ConnectorErrors, "error" is emitted, and after a restart it recovers with acknowledged writes intact',
    async () => {
      const node = serverNode();
      const c = connectorOn(service, { prefix: randomPrefix(), operationTimeoutMs: OPERATION_TIMEOUT_MS });
      connector = c;
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

        for (const failure of failures) {
          expect(failure instanceof ConnectorError)
            .withContext(String(failure))
            .toBe(true);
          expect(['BACKEND', 'NOT_READY', 'TIMEOUT']).toContain((failure as ConnectorError).code);
        }
        expect(errors.every((e) => e instanceof ConnectorError)).toBe(true);
        // Every key holds its last acknowledged value, or a later one whose write was cut off
        // after DynamoDB applied it — never an older one.
        const stored = await c.getBulk([...acknowledged.keys()]);
        [...acknowledged.values()].forEach((value, i) => {
          expect(typeof stored[i]).toBe('number');
          expect(stored[i] as number).toBeGreaterThanOrEqual(value);
        });
      });
      expect(unhandled).toEqual([]);
    },
    T,
  );

  it(
    'frozen (SIGSTOP): operations fail with TIMEOUT within their timeout, and work again once it resumes',
    async () => {
      const node = serverNode();
      const c = connectorOn(service, { prefix: randomPrefix(), operationTimeoutMs: OPERATION_TIMEOUT_MS });
      connector = c;
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
