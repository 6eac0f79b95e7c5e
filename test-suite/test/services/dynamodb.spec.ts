import * as fs from 'node:fs';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import '../../dist/services';
import { localDynamoClient } from '../../dist/services/dynamodb';
import { canConnect } from '../../dist/services/ports';
import { threadNiceness } from '../../dist/services/proc-state';
import { startService } from '../../dist/services/registry';
import { waitUntil } from '../../dist/services/wait';
import type { ServiceHandle } from '../../dist/services/types';
import { exists, failureOf } from './clients';

// DynamoDB Local is a JVM: a few seconds per start on a 2-core machine, more under load.
const T = 90_000;

/** Every request gets a deadline so a dead server fails the spec quickly instead of hanging. */
const deadline = (): { abortSignal: AbortSignal } => ({ abortSignal: AbortSignal.timeout(5000) });

async function withClient<T>(handle: ServiceHandle, body: (c: DynamoDBClient) => Promise<T>): Promise<T> {
  const client = localDynamoClient(String(handle.info.endpoint));
  try {
    return await body(client);
  } finally {
    client.destroy();
  }
}

/** Creates a table and waits until it is ACTIVE (dynalite reports CREATING for a moment). */
async function createTable(c: DynamoDBClient, table: string): Promise<void> {
  await c.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
    deadline(),
  );
  await waitUntil(
    async () => {
      const out = await c.send(new DescribeTableCommand({ TableName: table }), deadline());
      return out.Table?.TableStatus === 'ACTIVE';
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `table ${table} to become ACTIVE` },
  );
}

async function readItem(c: DynamoDBClient, table: string, id: string): Promise<string | undefined> {
  const out = await c.send(
    new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }),
    deadline(),
  );
  return out.Item?.value?.S;
}

/** The same outage story for both implementations, persistent so data must survive a crash. */
for (const name of ['dynamodb-local', 'dynalite']) {
  describe(`${name} launcher (persistent)`, () => {
    const table = 'connector_kit_test';
    let handle: ServiceHandle;
    // Specs run in random order; each relies only on the item written here.
    beforeAll(async () => {
      handle = await startService(name, { local: true, persistent: true });
      await withClient(handle, async (c) => {
        await createTable(c, table);
        await c.send(
          new PutItemCommand({ TableName: table, Item: { id: { S: 'a' }, value: { S: 'one' } } }),
          deadline(),
        );
      });
    }, T);
    afterAll(async () => {
      const dir = String(handle.info.dbPath);
      expect(exists(dir)).toBe(true);
      await handle.stop();
      expect(exists(dir)).withContext('data directory removed on stop').toBe(false);
      expect(handle.nodes[0].running).toBe(false);
    }, T);

    it(
      'advertises a dynamodb:// URL and serves writes and reads',
      async () => {
        const port = handle.nodes[0].port;
        expect(handle.external).toBe(false);
        expect(handle.url).toBe(`dynamodb://us-east-1/${table}?endpoint=http://127.0.0.1:${port}`);
        expect(handle.info.endpoint).toBe(`http://127.0.0.1:${port}`);
        await withClient(handle, async (c) => {
          await c.send(
            new PutItemCommand({ TableName: table, Item: { id: { S: 'b' }, value: { S: 'two' } } }),
            deadline(),
          );
          expect(await readItem(c, table, 'b')).toBe('two');
          expect(await readItem(c, table, 'a')).toBe('one');
        });
      },
      T,
    );

    it(
      'fails while killed and keeps its data across a restart',
      async () => {
        const node = handle.nodes[0];
        await node.kill('SIGKILL');
        expect(await canConnect(node.port)).toBe(false);
        await withClient(handle, (c) => failureOf(c.send(new ListTablesCommand({}), deadline())));
        await node.restart();
        await withClient(handle, async (c) => expect(await readItem(c, table, 'a')).toBe('one'));
      },
      T,
    );

    it(
      'times out while paused and answers again on resume',
      async () => {
        const node = handle.nodes[0];
        const client = localDynamoClient(String(handle.info.endpoint));
        try {
          node.pause();
          const err = await failureOf(
            client.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(500) }),
          );
          expect(err.name).toMatch(/Abort|Timeout/);
          node.resume();
          expect(await readItem(client, table, 'a')).toBe('one');
        } finally {
          node.resume();
          client.destroy();
        }
      },
      T,
    );
  });
}

describe('dynamodb-local launcher (in memory)', () => {
  it(
    'starts without a data directory and forgets everything on restart',
    async () => {
      const handle = await startService('dynamodb-local', { local: true });
      try {
        expect(handle.info.persistent).toBe(false);
        await withClient(handle, (c) => createTable(c, 'ephemeral'));
        await handle.nodes[0].restart();
        const tables = await withClient(handle, (c) => c.send(new ListTablesCommand({}), deadline()));
        expect(tables.TableNames ?? []).toEqual([]);
      } finally {
        await handle.stop();
      }
    },
    T,
  );

  /** The pid of the JVM serving `port` (its command line names the port). */
  function jvmOnPort(port: number): number {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let argv: string[];
      try {
        argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      } catch {
        continue; // gone meanwhile
      }
      const i = argv.indexOf('-port');
      if (argv.some((a) => a.endsWith('DynamoDBLocal.jar')) && argv[i + 1] === String(port))
        return Number(entry);
    }
    throw new Error(`no DynamoDB Local process serves port ${port}`);
  }

  it(
    'with lowPriority runs every JVM thread at nice 19, before and after a restart, and serves',
    async () => {
      const handle = await startService('dynamodb-local', { local: true, lowPriority: true });
      try {
        const node = handle.nodes[0];
        for (const phase of ['started', 'restarted']) {
          const threads = threadNiceness(jvmOnPort(node.port)) ?? [];
          expect(threads.length).withContext(phase).toBeGreaterThan(5); // a JVM, not a wrapper
          expect(new Set(threads))
            .withContext(phase)
            .toEqual(new Set([19]));
          await withClient(handle, (c) => c.send(new ListTablesCommand({}), deadline()));
          if (phase === 'started') await node.restart();
        }
      } finally {
        await handle.stop();
      }
    },
    T,
  );

  it('refuses a lowPriority that is not a boolean', async () => {
    await expectAsync(
      startService('dynamodb-local', { local: true, lowPriority: 'yes' }),
    ).toBeRejectedWithError(TypeError, /"lowPriority" must be a boolean/);
  });
});
