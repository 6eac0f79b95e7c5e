import fc from 'fast-check';
import { LatencyHistogram } from '@connector-kit/connector-core';

describe('LatencyHistogram', () => {
  // The definition the buckets follow (and the code used before Math.clz32).
  const reference = (ms: number): number => {
    const us = ms * 1000;
    if (!(us >= 1)) return 0;
    const exp = Math.floor(Math.log2(us));
    return Math.min(40 * 8 - 1, 1 + exp * 8 + Math.floor((us / 2 ** exp - 1) * 8));
  };

  it('puts every latency in the bucket of its definition (8 per power of two of µs)', () => {
    const edges = [
      0, 0.0004, 0.001, 0.0019999, 0.002, 0.0023, 0.07, 1, 1.5, 1024, 2147.483647, 2147.483648, 2147483.648,
      5e8, 1e12,
    ];
    for (const ms of edges) expect(LatencyHistogram.bucketOf(ms)).withContext(`${ms} ms`).toBe(reference(ms));
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        (ms) => LatencyHistogram.bucketOf(ms) === reference(ms),
      ),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 + 10 }),
        (us) => LatencyHistogram.bucketOf(us / 1000) === reference(us / 1000),
      ),
      { numRuns: 20_000 },
    );
  });

  it('reports percentiles within a bucket of the recorded latencies', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 100); // 0.01 .. 10 ms
    expect(h.count).toBe(1000);
    expect(h.max).toBe(10);
    expect(h.percentile(0.5)).toBeGreaterThanOrEqual(5);
    expect(h.percentile(0.5)).toBeLessThan(5 * 1.13);
    expect(h.percentile(0.99)).toBeGreaterThanOrEqual(9.9);
    expect(h.percentile(0.99)).toBeLessThanOrEqual(10);
    expect(new LatencyHistogram().percentile(0.5)).toBe(0);
  });
});
