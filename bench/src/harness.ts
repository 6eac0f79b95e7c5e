/**
 * Benchmark harness: closed-loop load at a fixed concurrency for a fixed time, recording every
 * operation's latency. Each suite compares a connector with its raw driver in the same run.
 */

export interface BenchResult {
  suite: string;
  /** What was measured: `connector`, `raw ioredis`, `@deepstream/cache-redis`, … */
  target: string;
  /** The operation: `set`, `get`, … */
  op: string;
  concurrency: number;
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Free-form extra facts (value size, batch size, …). */
  notes?: string;
}

export interface MeasureOptions {
  /** How long to run after warm-up, ms. Default from BENCH_DURATION_MS or 2000. */
  durationMs?: number;
  /** Warm-up, ms (not recorded). Default 300. */
  warmupMs?: number;
  notes?: string;
}

export interface BenchContext {
  /** Runs `fn(i)` with `concurrency` workers for the duration and records the result row. */
  measure(
    target: string,
    op: string,
    concurrency: number,
    fn: (i: number) => Promise<unknown>,
    options?: MeasureOptions,
  ): Promise<BenchResult>;
  /** Records a row computed by the suite itself (e.g. storage writes issued). */
  record(row: Omit<BenchResult, 'suite'>): void;
  /** Free-form lines printed under the table (e.g. coalescing counts). */
  note(line: string): void;
}

export interface BenchSuite {
  /** Short name used on the command line: `npm run bench -- redis`. */
  name: string;
  run(ctx: BenchContext): Promise<void>;
}

/** The record the storage suites write: the same value for connector and raw driver, every suite. */
export const BENCH_RECORD = {
  name: 'Ada Lovelace',
  tags: ['x', 'y', 'z'],
  n: 42,
  score: 99.5,
  nested: { ok: true, at: null },
};

export function defaultDurationMs(): number {
  const fromEnv = Number(process.env.BENCH_DURATION_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 2000;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Every measured latency, in fixed 64 Ki-entry Float64Array chunks: recording allocates one chunk
 * per 65,536 operations and never copies, where a growing array copied megabytes (and made the
 * GC move them) in the middle of the operations it was timing.
 */
export class LatencyRecorder {
  private static readonly CHUNK = 65_536;
  private readonly full: Float64Array[] = [];
  private chunk = new Float64Array(LatencyRecorder.CHUNK);
  private used = 0;

  get count(): number {
    return this.full.length * LatencyRecorder.CHUNK + this.used;
  }

  add(ms: number): void {
    if (this.used === LatencyRecorder.CHUNK) {
      this.full.push(this.chunk);
      this.chunk = new Float64Array(LatencyRecorder.CHUNK);
      this.used = 0;
    }
    this.chunk[this.used++] = ms;
  }

  /** Adds every latency of `other` (to pool several runs). */
  addAll(other: LatencyRecorder): void {
    for (const part of other.parts()) for (const ms of part) this.add(ms);
  }

  /** All latencies, ascending. */
  sorted(): Float64Array {
    const out = new Float64Array(this.count);
    let at = 0;
    for (const part of this.parts()) {
      out.set(part, at);
      at += part.length;
    }
    return out.sort();
  }

  private parts(): Float64Array[] {
    return [...this.full, this.chunk.subarray(0, this.used)];
  }
}

/** Closed-loop load: `concurrency` workers each issue the next operation when theirs completes. */
export async function runClosedLoop(
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
  durationMs: number,
  warmupMs: number,
  /** Also receives every measured latency (to pool several runs). */
  collect?: LatencyRecorder,
): Promise<{ ops: number; opsPerSec: number; p50Ms: number; p99Ms: number }> {
  let counter = 0;
  const load = async (untilMs: number, latencies: LatencyRecorder | null): Promise<void> => {
    const worker = async (): Promise<void> => {
      while (performance.now() < untilMs) {
        const i = counter++;
        const t0 = performance.now();
        await fn(i);
        if (latencies) latencies.add(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  await load(performance.now() + warmupMs, null);
  const latencies = new LatencyRecorder();
  const start = performance.now();
  await load(start + durationMs, latencies);
  const elapsed = performance.now() - start;
  collect?.addAll(latencies);
  return summarise(latencies, elapsed);
}

function summarise(
  latencies: LatencyRecorder,
  elapsedMs: number,
): { ops: number; opsPerSec: number; p50Ms: number; p99Ms: number } {
  const sorted = latencies.sorted();
  return {
    ops: sorted.length,
    opsPerSec: (sorted.length / elapsedMs) * 1000,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

/** One side of an alternating comparison. */
export interface AlternatingTarget {
  target: string;
  fn: (i: number) => Promise<unknown>;
  /** Unmeasured load before each slice (default 100 ms), e.g. to reach a steady state. */
  warmupMs?: number;
  /** Runs before each of its slices (before the warm-up), unmeasured. */
  before?: () => Promise<unknown>;
  /** Runs after each of its slices, unmeasured (e.g. a flush, so no work spills into the next side's slice). */
  after?: () => Promise<unknown>;
}

/**
 * Runs the targets in turn, `slices` short runs each, and pools every side's latencies: on a small
 * shared machine a load spike then hits every side instead of whichever ran at that moment. Each
 * slice starts one side later than the one before, so no side always follows the same one (and
 * whatever that one leaves behind).
 */
export async function runAlternating(
  targets: readonly AlternatingTarget[],
  concurrency: number,
  slices: number,
  sliceMs: number,
): Promise<{ target: string; ops: number; opsPerSec: number; p50Ms: number; p99Ms: number }[]> {
  const pooled = targets.map(() => ({ latencies: new LatencyRecorder(), elapsedMs: 0 }));
  for (let s = 0; s < slices; s++) {
    for (let turn = 0; turn < targets.length; turn++) {
      const t = (turn + s) % targets.length;
      const side = targets[t]!;
      await side.before?.();
      const result = await runClosedLoop(
        concurrency,
        side.fn,
        sliceMs,
        side.warmupMs ?? 100,
        pooled[t]!.latencies,
      );
      if (result.ops > 0) pooled[t]!.elapsedMs += (result.ops / result.opsPerSec) * 1000;
      await side.after?.();
    }
  }
  return targets.map((t, i) => ({
    target: t.target,
    ...summarise(pooled[i]!.latencies, pooled[i]!.elapsedMs),
  }));
}

export function createContext(suite: string, rows: BenchResult[], notes: string[]): BenchContext {
  return {
    async measure(target, op, concurrency, fn, options = {}) {
      const result = await runClosedLoop(
        concurrency,
        fn,
        options.durationMs ?? defaultDurationMs(),
        options.warmupMs ?? 300,
      );
      const row: BenchResult = { suite, target, op, concurrency, ...result };
      if (options.notes) row.notes = options.notes;
      rows.push(row);
      console.error(
        `  ${suite} | ${target} | ${op} c=${concurrency}: ${Math.round(result.opsPerSec)} ops/s p50 ${result.p50Ms.toFixed(3)} ms p99 ${result.p99Ms.toFixed(3)} ms`,
      );
      return row;
    },
    record(row) {
      rows.push({ suite, ...row });
    },
    note(line) {
      notes.push(`${suite}: ${line}`);
    },
  };
}

/** A markdown table of the rows, with each target's ratio to the suite's baseline row. */
export function toMarkdown(rows: BenchResult[], notes: string[]): string {
  const lines = [
    '| suite | target | op | conc | ops/s | p50 ms | p99 ms | vs baseline |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const baseline = rows.find(
      (r) =>
        r.suite === row.suite &&
        r.op === row.op &&
        r.concurrency === row.concurrency &&
        r.target.startsWith('raw'),
    );
    const ratio =
      baseline && baseline !== row && baseline.opsPerSec > 0
        ? `${(row.opsPerSec / baseline.opsPerSec).toFixed(2)}×`
        : '';
    lines.push(
      `| ${row.suite} | ${row.target} | ${row.op} | ${row.concurrency} | ${Math.round(row.opsPerSec)} | ${row.p50Ms.toFixed(3)} | ${row.p99Ms.toFixed(3)} | ${ratio} |`,
    );
  }
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`));
  return lines.join('\n');
}
