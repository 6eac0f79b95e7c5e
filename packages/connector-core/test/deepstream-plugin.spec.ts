import * as core from '@connector-kit/connector-core';
import { ConnectorError, MemoryCacheDeepstreamPlugin, type JsonValue } from '@connector-kit/connector-core';

function call<T extends unknown[]>(fn: (cb: (...args: T) => void) => void): Promise<T> {
  return new Promise((resolve) => fn((...args: T) => resolve(args)));
}

describe('deepstream plugin adapter (on MemoryCache)', () => {
  it('speaks deepstream v5+ storage/cache callbacks: versions, -1 for missing, head and headBulk', async () => {
    const errors: string[] = [];
    const plugin = new MemoryCacheDeepstreamPlugin(
      { url: 'memory://#ds:' },
      { logger: { error: (_event: string, message: string) => errors.push(message) } },
      {},
    );
    await plugin.whenReady();
    expect(plugin.isReady).toBe(true);
    expect(plugin.description).toContain('memory');

    expect<unknown>(
      await call<[string | null, number, JsonValue | null]>((cb) => plugin.get('rec/1', cb)),
    ).toEqual([null, -1, null]);
    expect<unknown>(await call<[string | null]>((cb) => plugin.set('rec/1', 3, { a: 1 }, cb))).toEqual([
      null,
    ]);
    expect<unknown>(
      await call<[string | null, number, JsonValue | null]>((cb) => plugin.get('rec/1', cb)),
    ).toEqual([null, 3, { a: 1 }]);
    expect<unknown>(await call<[string | null, number]>((cb) => plugin.head('rec/1', cb))).toEqual([null, 3]);
    expect<unknown>(await call<[string | null, number]>((cb) => plugin.head('rec/none', cb))).toEqual([
      null,
      -1,
    ]);
    expect(
      await call<[string | null, Record<string, number>?, string[]?]>((cb) =>
        plugin.headBulk(['rec/1', 'rec/none'], cb),
      ),
    ).toEqual([null, { 'rec/1': 3 }, ['rec/none']]);
    expect<unknown>(await call<[string | null]>((cb) => plugin.deleteBulk(['rec/1'], cb))).toEqual([null]);
    expect<unknown>(
      await call<[string | null, number, JsonValue | null]>((cb) => plugin.get('rec/1', cb)),
    ).toEqual([null, -1, null]);

    const [err] = await call<[string | null]>((cb) => plugin.set('', 1, {}, cb));
    expect(err).toContain('INVALID_KEY');
    await plugin.close();
    const [closedErr] = await call<[string | null, number, JsonValue | null]>((cb) =>
      plugin.get('rec/1', cb),
    );
    expect(closedErr).toContain('CLOSED');
    expect(errors).toEqual([]);
  });
});

describe('deepstream plugin adapter: loading and readiness inside deepstream', () => {
  it("is connector-core's default export, so `path: '@connector-kit/connector-core'` is the memory cache", () => {
    expect<unknown>((core as { default?: unknown }).default).toBe(MemoryCacheDeepstreamPlugin);
  });

  it('configured under plugins: (deepstream built cache and storage already), it stops deepstream with a line saying so', async () => {
    const fatal: string[] = [];
    const plugin = new MemoryCacheDeepstreamPlugin(
      {},
      { cache: {}, storage: {}, logger: { fatal: (_event: string, message: string) => fatal.push(message) } },
      { dependencyInitializationTimeout: 2000 },
    );
    expect(fatal.length).toBe(1);
    expect(fatal[0]).toContain('"plugins:"');
    expect(fatal[0]).toContain('top level as "cache:" or "storage:"');
    const err = await plugin.whenReady().then(
      () => null,
      (e: unknown) => e,
    );
    expect(ConnectorError.is(err, 'CONFIG')).toBe(true);
    await plugin.close();
  });

  it("bounds whenReady by deepstream's dependencyInitializationTimeout minus a quarter (at most 500 ms), or readyTimeoutMs", async () => {
    const at = (config: unknown, options: Record<string, unknown> = {}): number | undefined => {
      const plugin = new MemoryCacheDeepstreamPlugin(options, {}, config);
      void plugin.close();
      return plugin.readyTimeoutMs;
    };
    expect(at({ dependencyInitializationTimeout: 2000 })).toBe(1500);
    expect(at({ dependencyInitializationTimeout: 800 })).toBe(600);
    expect(at({ dependencyInitializationTimeout: 10_000 })).toBe(9500);
    expect(at({ dependencyInitializationTimeout: 2000 }, { readyTimeoutMs: 250 })).toBe(250);
    expect(at(undefined)).toBeUndefined();
    expect(() => new MemoryCacheDeepstreamPlugin({ readyTimeoutMs: 0 })).toThrowError(/readyTimeoutMs/);
  });
});
