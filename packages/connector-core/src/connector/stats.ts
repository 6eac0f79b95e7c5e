import type { ConnectorStats } from '../types';

/**
 * Log-linear latency histogram: 8 buckets per power of two of microseconds, so recording is an
 * O(1) array increment and percentiles are within ~9% — cheap enough to leave on always.
 */
const SUB_BUCKETS = 8;
const MAX_BUCKETS = 40 * SUB_BUCKETS;

export class LatencyHistogram {
  private readonly counts = new Float64Array(MAX_BUCKETS);
  private total = 0;
  private maxMs = 0;

  /**
   * The bucket of a latency: 0 below 1 µs, else 1 + 8·⌊log2 µs⌋ + the eighth of that power of two
   * it falls in (capped at the last bucket). Every operation of every connector records one, so
   * the exponent comes from Math.clz32 rather than Math.log2 (≈ 8 instead of 60–85 ns).
   */
  static bucketOf(ms: number): number {
    const us = ms * 1000;
    if (!(us >= 1)) return 0;
    // ⌊log2 us⌋: clz32 reads us as an integer (truncated), which has the same power of two; past
    // 2^31 µs (35 minutes) it cannot, and Math.log2 takes over.
    const exp = us < 2 ** 31 ? 31 - Math.clz32(us) : Math.floor(Math.log2(us));
    const power = 2 ** exp;
    return Math.min(
      MAX_BUCKETS - 1,
      1 + exp * SUB_BUCKETS + Math.floor(((us - power) * SUB_BUCKETS) / power),
    );
  }

  record(ms: number): void {
    this.counts[LatencyHistogram.bucketOf(ms)]! += 1;
    this.total += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** Upper bound of the bucket holding the q-quantile, in ms. */
  percentile(q: number): number {
    if (this.total === 0) return 0;
    const target = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i < MAX_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) {
        if (i === 0) return 0.001;
        const exp = Math.floor((i - 1) / SUB_BUCKETS);
        const sub = (i - 1) % SUB_BUCKETS;
        return Math.min(this.maxMs, (2 ** exp * (1 + (sub + 1) / SUB_BUCKETS)) / 1000);
      }
    }
    return this.maxMs;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }
}

/** Per-connector counters behind `stats()`. */
export class StatsRecorder {
  readonly operations: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  hits = 0;
  misses = 0;
  readonly latency = new LatencyHistogram();

  recordOperation(operation: string, ms: number): void {
    this.countOperation(operation);
    this.latency.record(ms);
  }

  /** An operation timed elsewhere (a tiered store's write into this tier): counted, not timed. */
  countOperation(operation: string): void {
    this.operations[operation] = (this.operations[operation] ?? 0) + 1;
  }

  recordError(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  snapshot(name: string, ready: boolean, inFlight: number): ConnectorStats {
    return {
      name,
      ready,
      operations: { ...this.operations },
      errors: { ...this.errors },
      hits: this.hits,
      misses: this.misses,
      latencyMs: {
        count: this.latency.count,
        p50: this.latency.percentile(0.5),
        p90: this.latency.percentile(0.9),
        p99: this.latency.percentile(0.99),
        max: this.latency.max,
      },
      inFlight,
    };
  }
}
