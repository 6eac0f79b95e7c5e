import { MemoryCache } from '@connector-kit/connector-core';
import type { BenchSuite } from '../harness';

/** MemoryCache against a bare Map behind the same async interface (the cost of the kit itself). */
export const suite: BenchSuite = {
  name: 'memory',
  async run(ctx) {
    const value = { id: 'x'.repeat(40), n: 42, tags: ['a', 'b', 'c'], nested: { ok: true } };
    const keys = Array.from({ length: 1000 }, (_, i) => `key-${i}`);
    const map = new Map<string, string>();
    const raw = {
      set: async (key: string, v: unknown) => void map.set(key, JSON.stringify(v)),
      get: async (key: string) => {
        const s = map.get(key);
        return s === undefined ? null : (JSON.parse(s) as unknown);
      },
    };
    const cache = new MemoryCache();
    await cache.whenReady();
    for (const concurrency of [1, 64]) {
      await ctx.measure('raw Map', 'set', concurrency, (i) => raw.set(keys[i % 1000]!, value));
      await ctx.measure('connector', 'set', concurrency, (i) => cache.set(keys[i % 1000]!, value));
      await ctx.measure('raw Map', 'get', concurrency, (i) => raw.get(keys[i % 1000]!));
      await ctx.measure('connector', 'get', concurrency, (i) => cache.get(keys[i % 1000]!));
    }
    await cache.close();
  },
};
