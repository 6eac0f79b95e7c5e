import '@connector-kit/test-suite/dist/services';
import '@connector-kit/test-suite/dist/services/mongodb';
import { MongoStorage } from '@connector-kit/storage-mongodb';
import { startService } from '@connector-kit/test-suite';
import { MongoClient, type AnyBulkWriteOperation } from 'mongodb';
import { BENCH_RECORD, defaultDurationMs, runClosedLoop, type BenchSuite } from '../harness';

const KEYS = 1000;
const BULK = 100;
const WARM_UP_MS = 2000;
const ROUNDS = 4;

type RoundResult = Awaited<ReturnType<typeof runClosedLoop>>;

/** Totals of several rounds: ops/s over all of them; p50/p99 the median of the rounds' values. */
function combine(rounds: RoundResult[]): RoundResult {
  const median = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ops = rounds.reduce((sum, r) => sum + r.ops, 0);
  const seconds = rounds.reduce((sum, r) => sum + (r.opsPerSec > 0 ? r.ops / r.opsPerSec : 0), 0);
  return {
    ops,
    opsPerSec: seconds > 0 ? ops / seconds : 0,
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
  };
}

interface RawRecord {
  _id: string;
  v: number;
  d: unknown;
}

/**
 * The MongoDB connector against the raw `mongodb` driver making the same calls on the same server
 * (the test-suite's emulator, or MONGODB_URL): `replaceOne(…, { upsert: true })` of the same
 * document shape for set, `findOne` for get, `findOne` with a projection for head, and one
 * `bulkWrite` for setBulk. Both clients have the same timeouts and default pool.
 */
export const suite: BenchSuite = {
  name: 'mongodb',
  async run(ctx) {
    const service = await startService('mongodb');
    const database = decodeURIComponent(
      /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?#]*)/.exec(service.url)?.[1] || 'connector_kit_bench',
    );
    const connector = new MongoStorage({ url: service.url, database, prefix: 'bench:' });
    const raw = new MongoClient(service.url, {
      serverSelectionTimeoutMS: 5000,
      connectTimeoutMS: 5000,
      socketTimeoutMS: 5000,
      heartbeatFrequencyMS: 1000,
    });
    try {
      await Promise.all([connector.whenReady(), raw.connect()]);
      const records = raw.db(database).collection<RawRecord>('records');
      const value = BENCH_RECORD;
      const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
      // The same document shape the connector writes, `_id` included (as a variable: the driver's
      // types leave `_id` out of replacements, the server accepts it when it matches the filter).
      const rawDoc = (key: string, version: number): RawRecord => ({
        _id: `raw:${key}`,
        v: version,
        d: value,
      });
      const rawSet = (key: string, version: number): Promise<unknown> =>
        records.replaceOne({ _id: `raw:${key}` }, rawDoc(key, version), { upsert: true });
      const rawGet = (key: string): Promise<unknown> => records.findOne({ _id: `raw:${key}` });
      const rawHead = (key: string): Promise<unknown> =>
        records.findOne({ _id: `raw:${key}` }, { projection: { v: 1, e: 1, k: 1 } });
      const rawBulk = (from: number, version: number): Promise<unknown> => {
        const operations: AnyBulkWriteOperation<RawRecord>[] = keys.slice(from, from + BULK).map((key) => ({
          replaceOne: {
            filter: { _id: `raw:${key}` },
            replacement: rawDoc(key, version),
            upsert: true,
          },
        }));
        return records.bulkWrite(operations, { ordered: true });
      };
      const connectorBulk = (from: number, version: number): Promise<void> =>
        connector.setBulk(keys.slice(from, from + BULK).map((key) => ({ key, value, version })));

      // Every key exists before measuring (overwrites on both sides), and both sides warm up.
      for (let i = 0; i < KEYS; i += 50) {
        await Promise.all(
          keys.slice(i, i + 50).map((key, j) => Promise.all([rawSet(key, j), connector.set(key, value)])),
        );
      }
      const warmUntil = performance.now() + WARM_UP_MS;
      for (let round = 0; performance.now() < warmUntil; round++) {
        const slice = keys.slice((round * 32) % KEYS, ((round * 32) % KEYS) + 32);
        await Promise.all(
          slice.map((key, i) => Promise.all([rawSet(key, i), connector.set(key, value, { version: i })])),
        );
        await Promise.all(slice.map((key) => Promise.all([rawGet(key), connector.get(key)])));
      }

      // Raw and connector alternate in short rounds, so load from elsewhere on the machine (and the
      // emulator's own garbage collection) falls on both sides alike.
      const compare = async (
        op: string,
        concurrency: number,
        rawOp: (i: number) => Promise<unknown>,
        connectorOp: (i: number) => Promise<unknown>,
        notes?: string,
      ): Promise<void> => {
        const roundMs = Math.max(250, Math.round(defaultDurationMs() / ROUNDS));
        const totals = { raw: [] as RoundResult[], connector: [] as RoundResult[] };
        // Client CPU per operation (this process only, the server excluded): steadier than
        // throughput on a machine shared with other work.
        const cpu = { raw: 0, connector: 0 };
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? (['raw', 'connector'] as const) : (['connector', 'raw'] as const);
          for (const side of order) {
            const before = process.cpuUsage();
            const result = await runClosedLoop(
              concurrency,
              side === 'raw' ? rawOp : connectorOp,
              roundMs,
              100,
            );
            const used = process.cpuUsage(before);
            // The warm-up's operations are not counted in result.ops: scale by the measured share.
            cpu[side] += ((used.user + used.system) * roundMs) / (roundMs + 100);
            totals[side].push(result);
          }
        }
        for (const side of ['raw', 'connector'] as const) {
          const row = combine(totals[side]);
          const target = side === 'raw' ? 'raw mongodb driver' : 'connector';
          const cpuPerOp = row.ops > 0 ? cpu[side] / row.ops : 0;
          const rowNotes = [notes, `client CPU ${cpuPerOp.toFixed(0)} µs/op`].filter(Boolean).join('; ');
          ctx.record({ target, op, concurrency, ...row, notes: rowNotes });
          console.error(
            `  mongodb | ${target} | ${op} c=${concurrency}: ${Math.round(row.opsPerSec)} ops/s p50 ${row.p50Ms.toFixed(3)} ms p99 ${row.p99Ms.toFixed(3)} ms, ${rowNotes}`,
          );
        }
      };
      for (const concurrency of [1, 64]) {
        await compare(
          'set',
          concurrency,
          (i) => rawSet(keys[i % KEYS]!, i),
          (i) => connector.set(keys[i % KEYS]!, value, { version: i }),
        );
        await compare(
          'get',
          concurrency,
          (i) => rawGet(keys[i % KEYS]!),
          (i) => connector.get(keys[i % KEYS]!),
        );
        await compare(
          'head',
          concurrency,
          (i) => rawHead(keys[i % KEYS]!),
          (i) => connector.head(keys[i % KEYS]!),
        );
      }
      await compare(
        `setBulk(${BULK})`,
        1,
        (i) => rawBulk((i * BULK) % KEYS, i),
        (i) => connectorBulk((i * BULK) % KEYS, i),
        `${BULK} records per call`,
      );
      ctx.note(
        `server: ${service.external ? 'MONGODB_URL' : 'the test-suite MongoDB emulator (a child process on this machine)'}`,
      );
    } finally {
      await connector.close();
      await raw.close();
      await service.stop();
    }
  },
};
