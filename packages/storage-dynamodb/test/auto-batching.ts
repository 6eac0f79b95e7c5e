/**
 * Same-tick auto-batching, against each real server (DynamoDB Local and dynalite): single calls
 * of one tick become BatchWriteItem / BatchGetItem requests (counted by middleware on a client
 * the spec owns), a lone call keeps its single-item request, one bad item fails only its caller,
 * reads of present, missing and expired items in one batch, and two requests on one item never
 * share a batch.
 */
import { createHash } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ConnectorError, type JsonValue } from '@connector-kit/connector-core';
import { randomKey, randomPrefix, sleep, type ServiceFixture } from '@connector-kit/test-suite';
import type { DynamoDBStorage, DynamoDBStorageOptions } from '@connector-kit/storage-dynamodb';
import { connectorOn, countCommands, deadline, rawClient, tableOf, uniqueTable } from './support';

const T = 30_000;

/** Settles every promise and tells which were fulfilled (value) and which rejected (the error). */
async function outcomes<V>(
  promises: Promise<V>[],
): Promise<({ ok: true; value: V } | { ok: false; error: unknown })[]> {
  const settled = await Promise.allSettled(promises);
  return settled.map((s) =>
    s.status === 'fulfilled' ? { ok: true, value: s.value } : { ok: false, error: s.reason },
  );
}

export function describeAutoBatching(service: ServiceFixture, server: 'dynamodb-local' | 'dynalite'): void {
  describe('auto-batching of single operations', () => {
    const open: { connector: DynamoDBStorage; client: DynamoDBClient }[] = [];
    /** A connector on a client of its own, and the commands that client sends. */
    const counted = async (
      options: DynamoDBStorageOptions = {},
    ): Promise<{ connector: DynamoDBStorage; counts: Map<string, number>; client: DynamoDBClient }> => {
      const client = rawClient(service);
      const counts = countCommands(client);
      const connector = connectorOn(service, {
        client,
        table: tableOf(service),
        prefix: randomPrefix(),
        ...options,
      });
      open.push({ connector, client });
      await connector.whenReady();
      counts.clear();
      return { connector, counts, client };
    };
    afterEach(async () => {
      for (const { connector, client } of open.splice(0)) {
        await connector.close();
        client.destroy();
      }
    }, T);

    it(
      'sets, gets, heads and deletes issued in one tick go out as batches of 25 writes and 100 reads, and read back exactly',
      async () => {
        const { connector, counts } = await counted();
        const keys = Array.from({ length: 60 }, (_, i) => `${randomKey('tick')}-${i}`);
        const valueOf = (i: number): JsonValue => ({
          i,
          name: `item ${i}`,
          tags: [i, 'x'],
          deep: { b: i, a: i % 2 === 0 },
        });
        await Promise.all(keys.map((key, i) => connector.set(key, valueOf(i), { version: i + 1 })));
        expect<unknown>(counts.get('BatchWriteItemCommand')).toBe(3); // 25 + 25 + 10
        expect<unknown>(counts.get('PutItemCommand')).toBeUndefined();

        const entries = await Promise.all(keys.map((key) => connector.getEntry(key)));
        expect<unknown>(counts.get('BatchGetItemCommand')).toBe(1);
        entries.forEach((entry, i) => {
          expect<unknown>(JSON.stringify(entry?.value))
            .withContext(keys[i]!)
            .toBe(JSON.stringify(valueOf(i)));
          expect<unknown>(entry?.version)
            .withContext(keys[i]!)
            .toBe(i + 1);
        });
        const versions = await Promise.all(keys.map((key) => connector.head(key)));
        expect<unknown>(versions).toEqual(keys.map((_, i) => i + 1));
        expect<unknown>(counts.get('BatchGetItemCommand')).toBe(2);
        expect<unknown>(counts.get('GetItemCommand')).toBeUndefined();

        await Promise.all(keys.slice(0, 30).map((key) => connector.delete(key)));
        expect<unknown>(counts.get('BatchWriteItemCommand')).toBe(5); // + 25 + 5
        expect<unknown>(counts.get('DeleteItemCommand')).toBeUndefined();
        const after = await Promise.all(keys.map((key) => connector.get(key)));
        after.forEach((value, i) =>
          expect<unknown>(value === null)
            .withContext(keys[i]!)
            .toBe(i < 30),
        );
      },
      T,
    );

    it(
      'a lone call uses the single-item request (PutItem, GetItem, DeleteItem), as does autoBatch: false in one tick',
      async () => {
        const { connector, counts } = await counted();
        const key = randomKey('lone');
        await connector.set(key, 'one', { version: 7 });
        expect<unknown>(await connector.getEntry(key)).toEqual({ value: 'one', version: 7 });
        expect<unknown>(await connector.head(key)).toBe(7);
        await connector.delete(key);
        expect<unknown>(await connector.get(key)).toBeNull();
        expect<unknown>(Object.fromEntries(counts)).toEqual({
          PutItemCommand: 1,
          GetItemCommand: 3,
          DeleteItemCommand: 1,
        });

        const off = await counted({
          url: `${service.url.split('#')[0]}${service.url.includes('?') ? '&' : '?'}autoBatch=false`,
        });
        const keys = Array.from({ length: 30 }, (_, i) => `${randomKey('off')}-${i}`);
        await Promise.all(keys.map((k, i) => off.connector.set(k, i)));
        expect<unknown>(await Promise.all(keys.map((k) => off.connector.get(k)))).toEqual(
          keys.map((_, i) => i),
        );
        await Promise.all(keys.map((k) => off.connector.delete(k)));
        expect<unknown>(Object.fromEntries(off.counts)).toEqual({
          PutItemCommand: 30,
          GetItemCommand: 30,
          DeleteItemCommand: 30,
        });
      },
      T,
    );

    it(
      'reads of present, missing and expired items in one tick: one BatchGetItem, expired items hidden',
      async () => {
        const { connector, counts, client } = await counted();
        const prefix = connector.prefix;
        const present = [randomKey('present'), randomKey('present')];
        const missing = randomKey('missing');
        const expired = randomKey('expired');
        const alive = randomKey('alive');
        await connector.setBulk(present.map((key, i) => ({ key, value: `value ${i}`, version: i + 1 })));
        const now = Math.floor(Date.now() / 1000);
        for (const [key, exp] of [
          [expired, now - 60],
          [alive, now + 3600],
        ] as const) {
          await client.send(
            new PutItemCommand({
              TableName: tableOf(service),
              Item: {
                pk: { S: prefix + key },
                ver: { N: '5' },
                val: { S: 'stored' },
                exp: { N: String(exp) },
              },
            }),
            deadline(),
          );
        }
        counts.clear();
        const keys = [...present, missing, expired, alive];
        const [entries, versions] = await Promise.all([
          Promise.all(keys.map((key) => connector.getEntry(key))),
          Promise.all(keys.map((key) => connector.head(key))),
        ]);
        expect<unknown>(entries).toEqual([
          { value: 'value 0', version: 1 },
          { value: 'value 1', version: 2 },
          null,
          null,
          { value: 'stored', version: 5 },
        ]);
        expect<unknown>(versions).toEqual([1, 2, null, null, 5]);
        // Reads of whole items and of versions only are separate batches.
        expect<unknown>(Object.fromEntries(counts)).toEqual({ BatchGetItemCommand: 2 });
      },
      T,
    );

    it(
      'one item DynamoDB refuses fails only its own caller; the rest of its batch is stored',
      async () => {
        // A global secondary index on `val` of type S: DynamoDB refuses any item whose `val` is
        // not a string (ValidationException "Type mismatch for Index Key"), which fails a whole
        // BatchWriteItem without saying which item was at fault.
        const { client: raw } = await counted();
        const table = uniqueTable('gsi');
        await raw.send(
          new CreateTableCommand({
            TableName: table,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'val', AttributeType: 'S' },
            ],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            GlobalSecondaryIndexes: [
              {
                IndexName: 'by_val',
                KeySchema: [{ AttributeName: 'val', KeyType: 'HASH' }],
                Projection: { ProjectionType: 'KEYS_ONLY' },
              },
            ],
          }),
          deadline(),
        );
        for (let i = 0; ; i++) {
          const { Table } = await raw.send(new DescribeTableCommand({ TableName: table }), deadline());
          if (
            Table?.TableStatus === 'ACTIVE' &&
            Table.GlobalSecondaryIndexes?.every((g) => g.IndexStatus === 'ACTIVE')
          )
            break;
          if (i > 100) throw new Error(`table ${table} did not become ACTIVE`);
          await sleep(100);
        }
        const { connector, counts } = await counted({
          table,
          url: service.url.replace(tableOf(service), table),
        });
        const keys = Array.from({ length: 10 }, (_, i) => `${randomKey('gsi')}-${i}`);
        const BAD = 6;
        const results = await outcomes(
          keys.map((key, i) => connector.set(key, i === BAD ? 42 : `text ${i}`)),
        );
        results.forEach((result, i) =>
          expect<unknown>(result.ok)
            .withContext(`key ${i}`)
            .toBe(i !== BAD),
        );
        const failure = results[BAD]!;
        if (failure.ok) throw new Error('the refused item was reported as stored');
        expect<unknown>(failure.error instanceof ConnectorError).toBe(true);
        expect<unknown>((failure.error as ConnectorError).code).toBe('BACKEND');
        expect<unknown>((failure.error as ConnectorError).message).toContain('Type mismatch');
        // One batch that failed as a whole, then each item on its own.
        expect<unknown>(counts.get('BatchWriteItemCommand')).toBe(1);
        expect<unknown>(counts.get('PutItemCommand')).toBe(keys.length);
        const values = await connector.getBulk(keys);
        expect<unknown>(values).toEqual(keys.map((_, i) => (i === BAD ? null : `text ${i}`)));
      },
      T,
    );

    it(
      'two requests on one item in one tick never share a batch: reads share a key, a second write waits for the first',
      async () => {
        // A key over 2048 bytes is stored under "#sha256:<hex>"; the literal key of that form
        // (no prefix here) is another key to the connector but the same DynamoDB item.
        const { connector, counts } = await counted({ prefix: '' });
        const long = `${randomKey('long')}-${'é'.repeat(1500)}`;
        const twin = `#sha256:${createHash('sha256').update(long, 'utf8').digest('hex')}`;
        const others = Array.from({ length: 5 }, (_, i) => `${randomKey('other')}-${i}`);
        await Promise.all([
          connector.set(long, 'long first', { version: 1 }),
          connector.set(twin, 'twin second', { version: 2 }),
          ...others.map((key, i) => connector.set(key, i)),
        ]);
        // The batch with the long key and the others, then the twin alone, in issue order.
        expect<unknown>(Object.fromEntries(counts)).toEqual({ BatchWriteItemCommand: 1, PutItemCommand: 1 });
        expect<unknown>(await connector.getEntry(twin)).toEqual({ value: 'twin second', version: 2 });
        expect<unknown>(await connector.get(long)).toBeNull();

        counts.clear();
        const reads = await Promise.all([
          connector.get(others[0]!),
          connector.get(others[0]!),
          connector.get(twin),
          connector.get(long),
          connector.get(others[1]!),
          connector.head(twin),
          connector.head(twin),
        ]);
        expect<unknown>(reads).toEqual([0, 0, 'twin second', null, 1, 2, 2]);
        expect<unknown>(Object.fromEntries(counts)).toEqual({ BatchGetItemCommand: 1, GetItemCommand: 1 });
      },
      T,
    );

    it(`unprocessed items of an auto-batch are retried until done (${server})`, async () => {
      // 48 reads of ~380 KB items in one tick: more than the 16 MB one BatchGetItem may answer.
      const { connector, counts } = await counted({ operationTimeoutMs: 30_000 });
      const size = 380_000;
      const keys = Array.from({ length: 48 }, (_, i) => `${randomKey('big')}-${i}`);
      await connector.setBulk(keys.map((key, i) => ({ key, value: String(i % 10).repeat(size) })));
      counts.clear();
      const values = await Promise.all(keys.map((key) => connector.get(key)));
      values.forEach((v, i) =>
        expect<unknown>(v === String(i % 10).repeat(size))
          .withContext(`key ${i}`)
          .toBe(true),
      );
      expect<unknown>(counts.get('BatchGetItemCommand')).toBeGreaterThan(1);
      expect<unknown>(counts.get('GetItemCommand')).toBeUndefined();
      await connector.deleteBulk(keys);
    }, 90_000);
  });
}
