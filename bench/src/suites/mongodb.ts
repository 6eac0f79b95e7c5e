import '@connector-kit/test-suite/dist/services';
import '@connector-kit/test-suite/dist/services/mongodb';
import { isDeepStrictEqual } from 'node:util';
import { MongoStorage } from '@connector-kit/storage-mongodb';
import { startService } from '@connector-kit/test-suite';
import { MongoClient, type AnyBulkWriteOperation } from 'mongodb';
import { BENCH_RECORD, defaultDurationMs, runClosedLoop, type BenchSuite } from '../harness';

const KEYS = 1000;
const BULK = 100;
/**
 * Keys for setBulk: enough that the 64 calls in flight never share a key (the connector orders
 * writes per key, so overlapping bulks would wait for each other while the raw driver's would not).
 */
const BULK_KEYS = 2 * 64 * BULK;
const WARM_UP_MS = 3000;
const SLICES = 11;
const SLICE_WARM_UP_MS = 100;
/**
 * Key prefixes of the two sides, of the same length: the raw side's ids (and so its commands and
 * stored documents) are then exactly as long as the connector's. (They were `raw:` against
 * `bench:`, 2 bytes shorter per id: 400 bytes less to send and store per setBulk(100).)
 */
const CONNECTOR_PREFIX = 'bench:';
const RAW_PREFIX = 'rawdr:';

type SliceResult = Awaited<ReturnType<typeof runClosedLoop>> & { cpuUsPerOp: number };

interface RawRecord {
  _id: string;
  v: number;
  d: unknown;
}

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The MongoDB connector against the raw `mongodb` driver making the same calls on the same server
 * (the test-suite's emulator, or MONGODB_URL): `replaceOne(…, { upsert: true })` of the document
 * the connector stores (read back once) for set, `findOne` for get, `findOne` with the connector's
 * projection for head, and one ordered `bulkWrite` for setBulk. Both clients have the same
 * timeouts and default pool. The raw side makes one call per operation; the connector
 * auto-batches the single operations of one tick (its default), and a second connector with
 * `autoBatch: false` shows the one-command-per-operation path at concurrency 64.
 */
export const suite: BenchSuite = {
  name: 'mongodb',
  async run(ctx) {
    const service = await startService('mongodb');
    const database = decodeURIComponent(
      /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?#]*)/.exec(service.url)?.[1] || 'connector_kit_bench',
    );
    const connector = new MongoStorage({ url: service.url, database, prefix: CONNECTOR_PREFIX });
    const unbatched = new MongoStorage({
      url: service.url,
      database,
      prefix: CONNECTOR_PREFIX,
      autoBatch: false,
    });
    const raw = new MongoClient(service.url, {
      serverSelectionTimeoutMS: 5000,
      connectTimeoutMS: 5000,
      socketTimeoutMS: 5000,
      heartbeatFrequencyMS: 1000,
    });
    try {
      await Promise.all([connector.whenReady(), unbatched.whenReady(), raw.connect()]);
      const records = raw.db(database).collection<RawRecord>('records');
      const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
      const bulkKeys = Array.from({ length: BULK_KEYS }, (_, i) => `bulk-${i}`);
      // Every key has its own value object, as real writes do (a batch of 100 records is 100
      // objects, not one object 100 times), and both sides write that same object: each side then
      // serialises (and the connector also copies) objects spread over the heap, not one object
      // that stays in the CPU cache. Built once, before measuring.
      const valueFor = (n: number): typeof BENCH_RECORD => ({
        ...BENCH_RECORD,
        tags: [...BENCH_RECORD.tags],
        nested: { ...BENCH_RECORD.nested },
        n,
      });
      const values = keys.map((_, i) => valueFor(i));
      const bulkValues = bulkKeys.map((_, i) => valueFor(i));

      // The raw side writes exactly the document the connector stores (checked once): the same
      // fields in the same order, the same value — only `_id` and `v` differ per call.
      await connector.set(keys[0]!, values[0]!, { version: 1 });
      const stored = await records.findOne({ _id: `${CONNECTOR_PREFIX}${keys[0]}` });
      if (
        stored === null ||
        Object.keys(stored).join() !== '_id,v,d' ||
        stored.v !== 1 ||
        !isDeepStrictEqual(stored.d, values[0])
      ) {
        throw new Error(`the connector did not store { _id, v, d } as expected: ${JSON.stringify(stored)}`);
      }
      const rawDoc = (key: string, version: number, value: unknown): RawRecord => ({
        _id: `${RAW_PREFIX}${key}`,
        v: version,
        d: value,
      });
      const rawSet = (i: number, version: number): Promise<unknown> => {
        const key = keys[i % KEYS]!;
        return records.replaceOne({ _id: `${RAW_PREFIX}${key}` }, rawDoc(key, version, values[i % KEYS]), {
          upsert: true,
        });
      };
      const connectorSet = (store: MongoStorage, i: number): Promise<void> =>
        store.set(keys[i % KEYS]!, values[i % KEYS]!, { version: i });
      const rawGet = (key: string): Promise<unknown> => records.findOne({ _id: `${RAW_PREFIX}${key}` });
      const rawHead = (key: string): Promise<unknown> =>
        records.findOne({ _id: `${RAW_PREFIX}${key}` }, { projection: { v: 1, e: 1, k: 1 } });
      const rawBulk = (call: number): Promise<unknown> => {
        const from = (call * BULK) % BULK_KEYS;
        const operations: AnyBulkWriteOperation<RawRecord>[] = bulkKeys
          .slice(from, from + BULK)
          .map((key, j) => ({
            replaceOne: {
              filter: { _id: `${RAW_PREFIX}${key}` },
              replacement: rawDoc(key, call, bulkValues[from + j]),
              upsert: true,
            },
          }));
        return records.bulkWrite(operations, { ordered: true });
      };
      const connectorBulk = (call: number): Promise<void> => {
        const from = (call * BULK) % BULK_KEYS;
        return connector.setBulk(
          bulkKeys
            .slice(from, from + BULK)
            .map((key, j) => ({ key, value: bulkValues[from + j]!, version: call })),
        );
      };

      // Every key exists before measuring (overwrites, not first inserts, on both sides).
      for (let i = 0; i < KEYS; i += 50) {
        await Promise.all(
          keys
            .slice(i, i + 50)
            .map((_, j) => Promise.all([rawSet(i + j, 0), connectorSet(connector, i + j)])),
        );
      }
      for (let call = 0; call < BULK_KEYS / BULK; call++)
        await Promise.all([rawBulk(call), connectorBulk(call)]);

      type Side = { target: string; fn: (i: number) => Promise<unknown> };
      const RAW = 'raw mongodb driver';
      const CONNECTOR = 'connector';
      const UNBATCHED = 'connector (autoBatch: false)';
      // slowCalls: a call takes milliseconds (100+ at c=64), so its slices are longer (see compare).
      const operations: { op: string; notes?: string; slowCalls?: boolean; sides: Side[] }[] = [
        {
          op: 'set',
          sides: [
            { target: RAW, fn: (i) => rawSet(i, i) },
            { target: CONNECTOR, fn: (i) => connectorSet(connector, i) },
            { target: UNBATCHED, fn: (i) => connectorSet(unbatched, i) },
          ],
        },
        {
          op: 'get',
          sides: [
            { target: RAW, fn: (i) => rawGet(keys[i % KEYS]!) },
            { target: CONNECTOR, fn: (i) => connector.get(keys[i % KEYS]!) },
            { target: UNBATCHED, fn: (i) => unbatched.get(keys[i % KEYS]!) },
          ],
        },
        {
          op: 'head',
          sides: [
            { target: RAW, fn: (i) => rawHead(keys[i % KEYS]!) },
            { target: CONNECTOR, fn: (i) => connector.head(keys[i % KEYS]!) },
            { target: UNBATCHED, fn: (i) => unbatched.head(keys[i % KEYS]!) },
          ],
        },
        {
          op: `setBulk(${BULK})`,
          notes: `${BULK} records per call`,
          slowCalls: true,
          sides: [
            { target: RAW, fn: (i) => rawBulk(i) },
            { target: CONNECTOR, fn: (i) => connectorBulk(i) },
          ],
        },
      ];

      // Everything measured runs first at both concurrencies: the emulator (a Node process) and
      // the clients warm their JIT and heaps, and every client's pool grows to what 64 callers use.
      const warmUntil = performance.now() + WARM_UP_MS;
      do {
        for (const { sides } of operations) {
          for (const side of sides) {
            await runClosedLoop(64, side.fn, 100, 0);
            await runClosedLoop(1, side.fn, 30, 0);
          }
        }
      } while (performance.now() < warmUntil);

      // The sides run in alternating short slices (the order rotating) and each keeps its median
      // slice: on a small shared machine a load spike then hits every side, not whichever ran at
      // that moment, and one bad slice does not move the result.
      const compare = async (
        op: string,
        concurrency: number,
        sides: Side[],
        notes?: string,
        slowCalls = false,
      ): Promise<void> => {
        // A slice starts with every caller issuing at once and ends waiting for the slowest call
        // in flight. With calls of ~100 ms (setBulk at c=64) a 333 ms slice would be mostly
        // that start and end, not the steady state: such ops get 6× longer slices and warm-ups.
        const scale = slowCalls ? 6 : 1;
        const sliceMs = Math.max(250, Math.round(defaultDurationMs() / 6)) * scale;
        const warmUpMs = SLICE_WARM_UP_MS * scale;
        const results = sides.map(() => [] as SliceResult[]);
        for (let s = 0; s < SLICES; s++) {
          for (let k = 0; k < sides.length; k++) {
            const index = (s + k) % sides.length;
            const before = process.cpuUsage();
            const result = await runClosedLoop(concurrency, sides[index]!.fn, sliceMs, warmUpMs);
            const used = process.cpuUsage(before);
            // Client CPU (this process only, the server excluded), without the slice's warm-up share.
            const cpu = ((used.user + used.system) * sliceMs) / (sliceMs + warmUpMs);
            results[index]!.push({ ...result, cpuUsPerOp: result.ops > 0 ? cpu / result.ops : 0 });
          }
        }
        sides.forEach(({ target }, index) => {
          const slices = results[index]!;
          const row = [...slices].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(slices.length / 2)]!;
          const cpu = median(slices.map((r) => r.cpuUsPerOp));
          const rowNotes = [
            notes,
            `median of ${SLICES} alternating slices`,
            `client CPU ${cpu.toFixed(0)} µs/op`,
          ]
            .filter(Boolean)
            .join('; ');
          const { cpuUsPerOp: _cpu, ...measured } = row;
          ctx.record({ target, op, concurrency, ...measured, notes: rowNotes });
          console.error(
            `  mongodb | ${target} | ${op} c=${concurrency}: ${Math.round(row.opsPerSec)} ops/s p50 ${row.p50Ms.toFixed(3)} ms p99 ${row.p99Ms.toFixed(3)} ms, ${rowNotes}`,
          );
        });
      };
      for (const concurrency of [1, 64]) {
        for (const { op, notes, slowCalls, sides } of operations) {
          // At concurrency 1 a lone call takes the unbatched path anyway: that side adds nothing.
          const measured = concurrency > 1 ? sides : sides.filter((side) => side.target !== UNBATCHED);
          await compare(op, concurrency, measured, notes, slowCalls);
        }
      }
      ctx.note(
        `server: ${service.external ? 'MONGODB_URL' : 'the test-suite MongoDB emulator (a child process on this machine)'}`,
      );
      ctx.note(
        'the connector auto-batches the single operations of one tick (autoBatch, its default): the sets become one ' +
          'unordered bulkWrite and the gets/heads one find({ _id: { $in } }) per collection, a lone call is a plain ' +
          'replaceOne/findOne; the raw side (and "connector (autoBatch: false)") sends one command per operation',
      );
    } finally {
      await Promise.all([connector.close(), unbatched.close()]);
      await raw.close();
      await service.stop();
    }
  },
};
