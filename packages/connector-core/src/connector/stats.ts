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

  record(ms: number): void {
    const us = ms * 1000;
    let index = 0;
    if (us >= 1) {
      const exp = Math.floor(Math.log2(us));
      const frac = us / 2 ** exp - 1; // in [0, 1)
      index = Math.min(MAX_BUCKETS - 1, 1 + exp * SUB_BUCKETS + Math.floor(frac * SUB_BUCKETS));
    }
    this.counts[index]! += 1;
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
    this.operations[operation] = (this.operations[operation] ?? 0) + 1;
    this.latency.record(ms);
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
