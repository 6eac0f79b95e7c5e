import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStorage } from '@connector-kit/storage-lmdb';
import { getLastVersion, open } from 'lmdb';
import { BENCH_RECORD, defaultDurationMs, runAlternating, runClosedLoop, type BenchSuite } from '../harness';

const KEYS = 1000;
const SLICES = 7;

/**
 * LmdbStorage against the raw `lmdb` package in the same run, each on its own directory under
 * the OS temp dir, in alternating slices. The raw side is lmdb used as its README suggests for
 * versioned records: `useVersions`, its default msgpack encoding, `put(key, value, version)`,
 * `get(key)`. Durability is the same on both sides: the connector's default (`flushed`) against
 * a raw put followed by lmdb's `flushed`, and the connector with `durability: 'committed'`
 * against a plain raw put (which resolves at commit).
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
    const raw = open<typeof BENCH_RECORD, string>({ path: join(root, 'raw'), useVersions: true });
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
      const operations: { op: string; sides: { target: string; fn: (i: number) => Promise<unknown> }[] }[] = [
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
      const sliceMs = Math.max(200, Math.round(defaultDurationMs() / SLICES));
      for (const concurrency of [1, 64]) {
        for (const { op, sides } of operations) {
          const rows = await runAlternating(sides, concurrency, SLICES, sliceMs);
          for (const row of rows) {
            const { target, ...measured } = row;
            ctx.record({
              target,
              op,
              concurrency,
              ...measured,
              notes: `${SLICES} alternating slices of ${sliceMs} ms, pooled`,
            });
            console.error(
              `  lmdb | ${target} | ${op} c=${concurrency}: ${Math.round(row.opsPerSec)} ops/s p50 ${row.p50Ms.toFixed(3)} ms p99 ${row.p99Ms.toFixed(3)} ms`,
            );
          }
        }
      }
      ctx.note(
        `lmdb: ${root} (OS temp dir), default page size; JSON codec on the connector, msgpack on the raw side`,
      );
    } finally {
      await Promise.allSettled([connector.close(), committed.close(), raw.close()]);
      rmSync(root, { recursive: true, force: true });
    }
  },
};
