import { MemoryCacheDeepstreamPlugin, type JsonValue } from '@connector-kit/connector-core';

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
