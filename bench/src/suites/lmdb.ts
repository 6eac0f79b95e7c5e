import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStorage } from '@connector-kit/storage-lmdb';
import { getLastVersion, open } from 'lmdb';
import { BENCH_RECORD, defaultDurationMs, runClosedLoop, type BenchSuite } from '../harness';

const KEYS = 1000;
const SLICES = 9;
const SLICE_WARM_UP_MS = 50;

type Side = { target: string; fn: (i: number) => Promise<unknown> };
type SliceResult = Awaited<ReturnType<typeof runClosedLoop>> & { cpuUsPerOp: number };

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * LmdbStorage against the raw `lmdb` package in the same run, each on its own directory under
 * the OS temp dir, in alternating slices (each side keeps its median slice, and the main
 * thread's CPU per operation, which the machine's other load moves much less than throughput).
 * The raw side is lmdb used as its README suggests for versioned records: `useVersions`,
 * `put(key, value, version)`, `get(key)`, with lmdb's `json` encoding so both sides store and
 * parse the same JSON text (lmdb's default msgpack decodes faster than JSON.parse; the
 * connector's choice of codec is the caller's). Durability is the same on both sides: the
 * connector's default (`flushed`) against a raw put followed by lmdb's `flushed`, and the
 * connector with `durability: 'committed'` against a plain raw put (which resolves at commit).
 */
export const suite: BenchSuite = {
  name: 'lmdb',
  async run(ctx) {
    const root = mkdtempSync(join(tmpdir(), 'connector-kit-bench-lmdb-'));
    const connector = new LmdbStorage({ path: join(root, 'connector'), prefix: 'bench:' });
    const committed = new LmdbStorage({
      path: join(root, 'connector-committed'),
      prefix: 'bench:',
      durability: 'committed',
    });
    const raw = open<typeof BENCH_RECORD, string>({
      path: join(root, 'raw'),
      useVersions: true,
      encoding: 'json',
    });
    try {
      await Promise.all([connector.whenReady(), committed.whenReady()]);
      const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
      const rawKeys = keys.map((k) => `bench:${k}`); // the same key bytes as the connector's
      const values = keys.map((_, n) => ({
        ...BENCH_RECORD,
        tags: [...BENCH_RECORD.tags],
        nested: { ...BENCH_RECORD.nested },
        n,
      }));
      const rawSetFlushed = async (i: number): Promise<void> => {
        const written = raw.put(rawKeys[i % KEYS]!, values[i % KEYS]!, i);
        await Promise.all([written, raw.flushed]);
      };
      const rawSet = (i: number): Promise<boolean> => raw.put(rawKeys[i % KEYS]!, values[i % KEYS]!, i);
      const rawGet = async (i: number): Promise<unknown> => raw.get(rawKeys[i % KEYS]!);
      const rawHead = async (i: number): Promise<unknown> =>
        raw.getBinaryFast(rawKeys[i % KEYS]!) === undefined ? null : getLastVersion();

      // Every key exists on every side before measuring.
      await Promise.all(keys.map((k, i) => connector.set(k, values[i]!, { version: i })));
      await Promise.all(keys.map((k, i) => committed.set(k, values[i]!, { version: i })));
      await Promise.all(keys.map((_, i) => rawSet(i)));

      const RAW = 'raw lmdb';
      const operations: { op: string; sides: Side[] }[] = [
        {
          op: 'set',
          sides: [
            { target: `${RAW} (put + flushed)`, fn: rawSetFlushed },
            {
              target: 'connector',
              fn: (i) => connector.set(keys[i % KEYS]!, values[i % KEYS]!, { version: i }),
            },
          ],
        },
        {
          op: 'set (committed)',
          sides: [
            { target: `${RAW} (put)`, fn: rawSet },
            {
              target: "connector (durability: 'committed')",
              fn: (i) => committed.set(keys[i % KEYS]!, values[i % KEYS]!, { version: i }),
            },
          ],
        },
        {
          op: 'get',
          sides: [
            { target: RAW, fn: rawGet },
            { target: 'connector', fn: (i) => connector.get(keys[i % KEYS]!) },
          ],
        },
        {
          op: 'head',
          sides: [
            { target: RAW, fn: rawHead },
            { target: 'connector', fn: (i) => connector.head(keys[i % KEYS]!) },
          ],
        },
      ];
      // JIT warm-up of every path at both concurrencies.
      for (const { sides } of operations) {
        for (const side of sides) {
          await runClosedLoop(64, side.fn, 200, 0);
          await runClosedLoop(1, side.fn, 100, 0);
        }
      }
      // The sides run in alternating slices, the order rotating, so a load spike from elsewhere
      // on this shared machine hits every side; each side keeps its median slice.
      const sliceMs = Math.max(200, Math.round(defaultDurationMs() / 4));
      const compare = async (op: string, concurrency: number, sides: Side[]): Promise<void> => {
        const results = sides.map(() => [] as SliceResult[]);
        for (let s = 0; s < SLICES; s++) {
          for (let k = 0; k < sides.length; k++) {
            const index = (s + k) % sides.length;
            const before = process.cpuUsage();
            const result = await runClosedLoop(concurrency, sides[index]!.fn, sliceMs, SLICE_WARM_UP_MS);
            const used = process.cpuUsage(before);
            const cpu = ((used.user + used.system) * sliceMs) / (sliceMs + SLICE_WARM_UP_MS);
            results[index]!.push({ ...result, cpuUsPerOp: result.ops > 0 ? cpu / result.ops : 0 });
          }
        }
        sides.forEach(({ target }, index) => {
          const slices = results[index]!;
          const row = [...slices].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(slices.length / 2)]!;
          const { cpuUsPerOp: _cpu, ...measured } = row;
          // Process CPU: the main thread plus lmdb's write thread (which commits and syncs).
          const notes = `median of ${SLICES} alternating slices; process CPU ${median(slices.map((r) => r.cpuUsPerOp)).toFixed(1)} µs/op`;
          ctx.record({ target, op, concurrency, ...measured, notes });
          console.error(
            `  lmdb | ${target} | ${op} c=${concurrency}: ${Math.round(row.opsPerSec)} ops/s p50 ${row.p50Ms.toFixed(3)} ms p99 ${row.p99Ms.toFixed(3)} ms, ${notes}`,
          );
        });
      };
      for (const concurrency of [1, 64]) {
        for (const { op, sides } of operations) await compare(op, concurrency, sides);
      }
      ctx.note(`lmdb: ${root} (OS temp dir), default page size; JSON on both sides`);
    } finally {
      await Promise.allSettled([connector.close(), committed.close(), raw.close()]);
      rmSync(root, { recursive: true, force: true });
    }
  },
};
