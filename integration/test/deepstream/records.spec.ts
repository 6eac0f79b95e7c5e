/**
 * A real deepstream server (`deepstream start -c`) on the kit's plugins, real clients, real
 * backends: for each cache with a storage and each storage with a cache, records flow between
 * clients, reach both backends with their versions, survive a server restart with an emptied
 * cache, deletes propagate, and a client that reconnects while another writes ends on the latest
 * version.
 */
import type { Connector, Entry } from '@connector-kit/connector-core';
import { useService } from '@connector-kit/test-suite';
import type { Record as DsRecord } from '@deepstream/client/dist/src/record/record';
import * as path from 'node:path';
import {
  connectClient,
  CuttableRelay,
  startDeepstream,
  until,
  writeConfig,
  type DeepstreamServer,
  tempDirectory,
  type TestClient,
} from './harness';
import { readerFor, rowConfig, rowPrefix, urlOf, type Row, type Tier } from './rows';

/** Runs of the reconnect race per row that has it; every one must end on the latest version. */
const RECONNECT_RUNS = 40;
/** Records the reconnecting client holds (and re-reads) in each run. */
const RECORDS_PER_RUN = 5;

const lmdbDir = path.join(tempDirectory(), 'lmdb');

describe('deepstream end to end', () => {
  const redis = useService('redis');
  const memcached = useService('memcached');
  const mongodb = useService('mongodb');
  const dynamodb = useService('dynamodb-local');

  const memoryCache: Tier = { path: '@connector-kit/connector-core', options: () => ({}) };
  const redisCache: Tier = {
    path: '@connector-kit/cache-redis',
    service: redis,
    options: () => urlOf(redis),
  };
  const memcachedCache: Tier = {
    path: '@connector-kit/cache-memcached',
    service: memcached,
    options: () => urlOf(memcached),
  };
  const mongoStorage: Tier = {
    path: '@connector-kit/storage-mongodb',
    service: mongodb,
    options: () => urlOf(mongodb),
  };
  const dynamoStorage: Tier = {
    path: '@connector-kit/storage-dynamodb',
    service: dynamodb,
    options: () => ({ url: dynamodb.url, createTable: true }),
  };

  /** The embedded storage: a data directory of its own, opened by the server and by the test's reader. */
  const lmdbStorage: Tier = {
    path: '@connector-kit/storage-lmdb',
    options: () => ({ url: `lmdb://${lmdbDir}` }),
  };

  /** Every cache with a storage, every storage with a cache; the reconnect race on the Redis rows. */
  const ROWS: (Row & { reconnectRuns: number })[] = [
    { name: 'memory+mongodb', cache: memoryCache, storage: mongoStorage, reconnectRuns: 0 },
    { name: 'memcached+dynamodb', cache: memcachedCache, storage: dynamoStorage, reconnectRuns: 0 },
    { name: 'redis+mongodb', cache: redisCache, storage: mongoStorage, reconnectRuns: RECONNECT_RUNS },
    { name: 'redis+dynamodb', cache: redisCache, storage: dynamoStorage, reconnectRuns: RECONNECT_RUNS },
    { name: 'redis+lmdb', cache: redisCache, storage: lmdbStorage, reconnectRuns: RECONNECT_RUNS },
  ];

  function readyRecord(client: TestClient, name: string): Promise<DsRecord> {
    return client.client.record.getRecord(name).whenReady();
  }

  /** Polls a backend until `name` holds `expected` (null: absent), returning the last entry read. */
  async function backendHolds(
    reader: Connector,
    name: string,
    expected: Entry | null,
    what: string,
  ): Promise<void> {
    let last: Entry | null | undefined;
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        last = await reader.getEntry(name);
        if (JSON.stringify(last) === JSON.stringify(expected)) return;
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } catch (err) {
      throw new Error(`${what}: reading ${name} failed: ${String(err)}`);
    }
    expect<unknown>(last).withContext(`${what} holds ${name}`).toEqual(expected);
  }

  for (const row of ROWS) {
    describe(`deepstream end to end: ${row.name} (deepstream start -c, @deepstream/client)`, () => {
      let prefix: string;
      let config: string;
      let server: DeepstreamServer | undefined;
      let a: TestClient | undefined;
      let b: TestClient | undefined;
      const readers: Connector[] = [];
      let cacheReader: Connector | null = null;
      let storageReader: Connector | null = null;
      const created = new Map<string, Entry>();

      beforeAll(async () => {
        // A service unavailable locally: nothing is started and each spec is pending (CI: failed).
        if ([row.cache, row.storage].some((tier) => tier.service?.unavailable)) return;
        prefix = rowPrefix(row);
        config = writeConfig(rowConfig(row, prefix));
        cacheReader = readerFor(row.cache, prefix);
        storageReader = readerFor(row.storage, prefix);
        for (const r of [cacheReader, storageReader]) if (r) readers.push(r);
        server = await startDeepstream(config);
        a = await connectClient(server.url);
        b = await connectClient(server.url);
      }, 90_000);

      afterAll(async () => {
        a?.close();
        b?.close();
        await server?.stop();
        await Promise.all(readers.map((r) => r.close()));
      }, 30_000);

      const need = (): { server: DeepstreamServer; a: TestClient; b: TestClient } => {
        for (const tier of [row.cache, row.storage]) void tier.service?.url;
        if (!server || !a || !b) throw new Error('the deepstream server did not start (see beforeAll)');
        return { server, a, b };
      };

      it('two clients create, update and subscribe: each sees the other, both backends hold each version', async () => {
        const { a, b } = need();
        for (const n of [1, 2, 3]) {
          const name = `rec/${n}`;
          const recA = await readyRecord(a, name);
          const recB = await readyRecord(b, name);
          const seenByB: unknown[] = [];
          const seenByA: unknown[] = [];
          recB.subscribe((data: unknown) => seenByB.push(data));
          recA.subscribe((data: unknown) => seenByA.push(data));
          await recA.setWithAck({ by: 'a', n, items: [n, 'x'] });
          await until(() => recB.version === recA.version, 5000, `client b to see a's write of ${name}`);
          expect<unknown>(recB.get()).toEqual({ by: 'a', n, items: [n, 'x'] });
          await recB.setWithAck({ by: 'b', n });
          await until(() => recA.version === recB.version, 5000, `client a to see b's write of ${name}`);
          expect<unknown>(recA.get()).toEqual({ by: 'b', n });
          expect<unknown>(seenByB).toContain({ by: 'a', n, items: [n, 'x'] });
          expect<unknown>(seenByA).toContain({ by: 'b', n });
          const entry: Entry = { value: { by: 'b', n }, version: recA.version };
          expect(entry.version).toBeGreaterThanOrEqual(2);
          created.set(name, entry);
          if (cacheReader) await backendHolds(cacheReader, name, entry, 'the cache');
          await backendHolds(storageReader!, name, entry, 'the storage');
        }
        expect(a.errors).toEqual([]);
        expect(b.errors).toEqual([]);
      }, 60_000);

      it('a new server with an emptied cache loads every record from storage, with its version', async () => {
        const ctx = need();
        expect(created.size).withContext('records from the first spec').toBe(3);
        ctx.a.close();
        ctx.b.close();
        await ctx.server.stop();
        if (cacheReader) {
          await cacheReader.deleteBulk([...created.keys()]);
          for (const name of created.keys()) expect<unknown>(await cacheReader.getEntry(name)).toBeNull();
        }
        server = await startDeepstream(ctx.server.configFile);
        a = await connectClient(server.url);
        b = await connectClient(server.url);
        for (const [name, entry] of created) {
          const rec = await readyRecord(a, name);
          expect<unknown>(rec.get()).withContext(name).toEqual(entry.value);
          expect(rec.version).withContext(name).toBe(entry.version);
          expect<unknown>(await b.client.record.head(name))
            .withContext(name)
            .toBe(entry.version);
        }
        expect(a.errors).toEqual([]);
      }, 90_000);

      it('a delete reaches the other client, the cache and the storage', async () => {
        const { a, b } = need();
        const name = 'rec/doomed';
        const recA = await readyRecord(a, name);
        await recA.setWithAck({ doomed: true });
        const recB = await readyRecord(b, name);
        await until(() => recB.version === recA.version, 5000, 'client b to see the record');
        const version = recA.version;
        if (cacheReader)
          await backendHolds(cacheReader, name, { value: { doomed: true }, version }, 'the cache');
        await backendHolds(storageReader!, name, { value: { doomed: true }, version }, 'the storage');
        let deletedForB = false;
        recB.on('delete', () => (deletedForB = true));
        await recA.delete();
        await until(() => deletedForB, 5000, 'client b to be told of the delete');
        if (cacheReader) await backendHolds(cacheReader, name, null, 'the cache');
        await backendHolds(storageReader!, name, null, 'the storage');
        expect<unknown>(await b.client.record.has(name)).toBe(false);
      }, 60_000);

      if (row.reconnectRuns > 0) {
        it(`a client that reconnects while another keeps writing ends on the latest version (${row.reconnectRuns} runs × ${RECORDS_PER_RUN} records, zero stale)`, async () => {
          const { server: ds, a } = need();
          const relay = new CuttableRelay(ds.port);
          await relay.listen();
          const reader = await connectClient(relay.url);
          const stale: string[] = [];
          try {
            for (let run = 0; run < row.reconnectRuns; run++) {
              // Several records per run: the reconnected client re-subscribes to all of them at once.
              const names = Array.from({ length: RECORDS_PER_RUN }, (_, k) => `race/${run}/${k}`);
              const pairs = await Promise.all(
                names.map(async (name) => {
                  const recA = await readyRecord(a, name);
                  await recA.setWithAck({ name, n: 0 });
                  const recR = await readyRecord(reader, name);
                  await until(() => recR.version === recA.version, 5000, `the reader to see ${name}`);
                  return { name, recA, recR, n: 0 };
                }),
              );
              const reconnectsBefore = reader.reconnects;
              let writing = true;
              const writers = pairs.map(async (pair) => {
                while (writing) await pair.recA.setWithAck({ name: pair.name, n: ++pair.n });
              });
              await new Promise((r) => setTimeout(r, 20));
              relay.cut();
              await until(() => reader.reconnects > reconnectsBefore, 10_000, 'the reader to reconnect');
              // Keep writing while the reconnected client re-subscribes (within its 100 ms
              // subscriptionInterval) and re-reads what it missed.
              await new Promise((r) => setTimeout(r, 150));
              writing = false;
              await Promise.all(writers);
              const settled = Date.now() + 2000;
              await until(
                () => pairs.every((p) => p.recR.version === p.recA.version) || Date.now() > settled,
                5000,
                'the reader to settle',
              );
              for (const { name, recA, recR, n } of pairs) {
                if (recR.version !== recA.version) {
                  stale.push(`${name}: reader ended on version ${recR.version}, latest ${recA.version}`);
                } else {
                  expect<unknown>(recR.get()).withContext(name).toEqual({ name, n });
                }
              }
            }
          } finally {
            reader.close();
            await relay.close();
          }
          expect(stale)
            .withContext(`stale endings in ${row.reconnectRuns} runs × ${RECORDS_PER_RUN} records`)
            .toEqual([]);
        }, 180_000);
      }
    });
  }
});
