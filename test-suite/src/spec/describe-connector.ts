import { EventEmitter } from 'node:events';
import {
  ConnectorError,
  jsonCodec,
  type Connector,
  type JsonValue,
  type Supports,
} from '@connector-kit/connector-core';
import {
  eventually,
  expectCode,
  randomKey,
  randomPrefix,
  sleep,
  valueOfEncodedSize,
  withUnhandledRejectionWatch,
} from './helpers';
import type { ConnectorSpecOptions } from './options';
import { AWKWARD_KEYS, ROUND_TRIP_VALUES } from './values';

type LazyConnector = () => Promise<Connector>;

/**
 * Defines the common jasmine spec for one connector. Call it inside a spec file (top level or
 * inside a `describe`). Every group gets a fresh connector under a random prefix; capabilities a
 * backend lacks are tested for their clear UNSUPPORTED error rather than skipped.
 */
export function describeConnector(options: ConnectorSpecOptions): void {
  const timeout = options.timeoutMs ?? 20_000;
  const codec = options.codec ?? jsonCodec;
  const created: Connector[] = [];

  const make = async (prefix = randomPrefix()): Promise<Connector> => {
    const connector = await options.create({ prefix });
    created.push(connector);
    // The spec listens so background errors are observed rather than logged.
    connector.on('error', () => undefined);
    return connector;
  };

  /** One describe block with one lazily created, ready connector shared by its specs. */
  const group = (title: string, body: (connector: LazyConnector) => void): void => {
    describe(title, () => {
      let cached: Promise<Connector> | null = null;
      const get: LazyConnector = () => {
        cached ??= make().then(async (c) => {
          await c.whenReady();
          return c;
        });
        return cached;
      };
      afterAll(async () => {
        const c = await cached?.catch(() => null);
        await c?.close();
      }, timeout);
      body(get);
    });
  };

  describe(`${options.name} (common connector spec)`, () => {
    if (options.beforeAll) beforeAll(options.beforeAll, 180_000);
    afterAll(async () => {
      await Promise.allSettled(created.map((c) => c.close()));
      if (options.afterAll) await options.afterAll();
    }, 60_000);

    const supportsOf = (c: Connector): Supports => ({ ...c.supports, ...options.supports });

    describe('lifecycle and shape', () => {
      it(
        'is not ready at construction and becomes ready after exactly one "ready" event',
        async () => {
          const connector = await make();
          expect<unknown>(connector.isReady).toBe(false);
          let readyEvents = 0;
          connector.on('ready', () => readyEvents++);
          await connector.whenReady();
          await sleep(50);
          expect<unknown>(connector.isReady).toBe(true);
          expect<unknown>(readyEvents).toBe(1);
          await connector.close();
        },
        timeout,
      );

      it(
        'has the interface: EventEmitter, name, version, supports and methods',
        async () => {
          const connector = await make();
          expect<unknown>(connector instanceof EventEmitter).toBe(true);
          expect<unknown>(typeof connector.name).toBe('string');
          expect<unknown>(connector.name.length).toBeGreaterThan(0);
          expect<unknown>(typeof connector.version).toBe('string');
          expect<unknown>(connector.version.length).toBeGreaterThan(0);
          for (const method of [
            'get',
            'set',
            'delete',
            'getEntry',
            'head',
            'getBulk',
            'getEntryBulk',
            'headBulk',
            'setBulk',
            'deleteBulk',
            'compareAndSet',
            'whenReady',
            'close',
            'stats',
          ] as const) {
            expect<unknown>(typeof connector[method])
              .withContext(method)
              .toBe('function');
          }
          const s = connector.supports;
          for (const flag of ['ttl', 'bulk', 'compareAndSet', 'persistent'] as const) {
            expect<unknown>(typeof s[flag])
              .withContext(flag)
              .toBe('boolean');
          }
          expect<unknown>(s.maxKeyBytes).toBeGreaterThan(0);
          expect<unknown>(s.maxValueBytes).toBeGreaterThan(0);
          expect<unknown>(s.ttlGranularityMs).toBeGreaterThan(0);
          for (const [field, expected] of Object.entries(options.supports ?? {})) {
            expect<unknown>(s[field as keyof Supports])
              .withContext(`supports.${field}`)
              .toEqual(expected as never);
          }
          await connector.close();
        },
        timeout,
      );

      it(
        'close() settles pending operations and later calls fail with CLOSED',
        async () => {
          const connector = await make();
          await connector.whenReady();
          const keys = Array.from({ length: 50 }, () => randomKey());
          const pending = keys.map((k, i) =>
            connector.set(k, i).then(
              () => 'ok',
              (e: unknown) => e,
            ),
          );
          const closing = connector.close();
          const outcomes = await Promise.all(pending);
          await closing;
          for (const outcome of outcomes) {
            if (outcome !== 'ok') expect<unknown>(outcome instanceof ConnectorError).toBe(true);
          }
          await expectCode(connector.get(keys[0]!), 'CLOSED');
          await expectCode(connector.set(keys[0]!, 1), 'CLOSED');
          await expectCode(connector.delete(keys[0]!), 'CLOSED');
          const viaCallback = await new Promise<unknown>((resolve) =>
            connector.get(keys[0]!, (err) => resolve(err)),
          );
          expect<unknown>((viaCallback as ConnectorError).code).toBe('CLOSED');
          await connector.close(); // closing twice is harmless
        },
        timeout,
      );

      it(
        'operations issued before "ready" wait for it instead of failing',
        async () => {
          const connector = await make();
          const key = randomKey();
          const write = connector.set(key, 'early');
          expect<unknown>(connector.isReady).toBe(false);
          await write;
          expect<unknown>(await connector.get(key)).toBe('early');
          await connector.close();
        },
        timeout,
      );

      it(
        'stats() counts operations, hits and misses',
        async () => {
          const connector = await make();
          const key = randomKey();
          await connector.set(key, 1);
          await connector.get(key);
          await connector.get(randomKey('missing'));
          const stats = connector.stats();
          expect<unknown>(stats.operations.set).toBe(1);
          expect<unknown>(stats.operations.get).toBe(2);
          expect<unknown>(stats.hits).toBe(1);
          expect<unknown>(stats.misses).toBe(1);
          expect<unknown>(stats.latencyMs.count).toBe(3);
          expect<unknown>(stats.latencyMs.p99).toBeGreaterThanOrEqual(stats.latencyMs.p50);
          await connector.close();
        },
        timeout,
      );

      if (options.createUnreachable) {
        const createUnreachable = options.createUnreachable;
        it(
          'pointed at a closed port: operations fail within their timeout, "error" is emitted, nothing is unhandled',
          async () => {
            const errors: unknown[] = [];
            let connector: Connector | null = null;
            const unhandled = await withUnhandledRejectionWatch(async () => {
              connector = await createUnreachable();
              connector.on('error', (err: unknown) => errors.push(err));
              const started = Date.now();
              const outcome = await connector.get(randomKey()).then(
                () => null,
                (err: unknown) => err,
              );
              const elapsed = Date.now() - started;
              expect<unknown>(outcome instanceof ConnectorError)
                .withContext(String(outcome))
                .toBe(true);
              expect<unknown>(['NOT_READY', 'TIMEOUT', 'BACKEND', 'CONFIG']).toContain(
                (outcome as ConnectorError).code,
              );
              expect<unknown>(elapsed).toBeLessThan(timeout - 1000);
              const viaCallback = await new Promise<unknown>((resolve) =>
                connector!.set(randomKey(), 1, (err) => resolve(err)),
              );
              expect<unknown>(viaCallback instanceof ConnectorError).toBe(true);
              await eventually(() => errors.length > 0, 10_000, "an 'error' event");
              expect<unknown>(errors[0] instanceof ConnectorError).toBe(true);
              await connector.close();
            });
            expect<unknown>(unhandled).toEqual([]);
            expect<unknown>(connector!.isReady).toBe(false);
          },
          timeout,
        );
      }
    });

    group('round-trips', (c) => {
      it(
        'a missing key reads as null without error (get, getEntry, head)',
        async () => {
          const connector = await c();
          const key = randomKey('missing');
          expect<unknown>(await connector.get(key)).toBeNull();
          expect<unknown>(await connector.getEntry(key)).toBeNull();
          expect<unknown>(await connector.head(key)).toBeNull();
        },
        timeout,
      );

      for (const [label, value] of ROUND_TRIP_VALUES) {
        it(
          `round-trips ${label}`,
          async () => {
            const connector = await c();
            const key = randomKey();
            await connector.set(key, value);
            const back = await connector.get(key);
            expect<unknown>(back).toEqual(value);
            expect<unknown>(JSON.stringify(back)).toBe(JSON.stringify(value));
          },
          timeout,
        );
      }

      it(
        'keeps __proto__ inside values as plain data (no prototype pollution)',
        async () => {
          const connector = await c();
          const key = randomKey();
          await connector.set(
            key,
            JSON.parse('{"__proto__":{"polluted":"yes"},"a":{"__proto__":{"deep":1}}}') as JsonValue,
          );
          const back = (await connector.get(key)) as Record<string, unknown>;
          expect<unknown>(Object.getPrototypeOf(back)).toBe(Object.prototype);
          expect<unknown>(Object.prototype.hasOwnProperty.call(back, '__proto__')).toBe(true);
          expect<unknown>((back as { polluted?: unknown }).polluted).toBeUndefined();
          expect<unknown>(({} as { polluted?: unknown }).polluted).toBeUndefined();
          expect<unknown>(Object.keys(back).sort()).toEqual(['__proto__', 'a']);
        },
        timeout,
      );

      it(
        'an overwrite with FEWER fields removes the missing fields',
        async () => {
          const connector = await c();
          const key = randomKey();
          await connector.set(key, { a: 1, b: { c: 2, d: 3 }, e: [1, 2, 3] });
          await connector.set(key, { b: { c: 2 } });
          expect<unknown>(await connector.get(key)).toEqual({ b: { c: 2 } });
          await connector.set(key, [1]);
          expect<unknown>(await connector.get(key)).toEqual([1]);
          await connector.set(key, 'scalar');
          expect<unknown>(await connector.get(key)).toBe('scalar');
        },
        timeout,
      );

      it(
        'stores the version beside the value (getEntry, head)',
        async () => {
          const connector = await c();
          const key = randomKey();
          await connector.set(key, { x: 1 });
          expect<unknown>(await connector.getEntry(key)).toEqual({ value: { x: 1 }, version: 0 });
          await connector.set(key, { x: 2 }, { version: 17 });
          expect<unknown>(await connector.getEntry(key)).toEqual({ value: { x: 2 }, version: 17 });
          expect<unknown>(await connector.head(key)).toBe(17);
        },
        timeout,
      );

      it(
        'deletes a key, and deleting a missing key is not an error',
        async () => {
          const connector = await c();
          const key = randomKey();
          await connector.set(key, 'doomed');
          await connector.delete(key);
          expect<unknown>(await connector.get(key)).toBeNull();
          await connector.delete(key);
          await connector.delete(randomKey('never-existed'));
        },
        timeout,
      );

      it(
        'neither the object passed to set nor the one returned by get is shared with the connector',
        async () => {
          const connector = await c();
          const key = randomKey();
          const original = { list: [1, 2], nested: { n: 1 } };
          const writing = connector.set(key, original);
          original.list.push(3); // changed after set() was called, before it completed
          original.nested.n = 99;
          await writing;
          expect<unknown>(await connector.get(key)).toEqual({ list: [1, 2], nested: { n: 1 } });
          const first = (await connector.get(key)) as { list: number[] };
          first.list.push(4);
          const second = await connector.get(key);
          expect<unknown>(second).toEqual({ list: [1, 2], nested: { n: 1 } });
          expect<unknown>(second).not.toBe(first);
        },
        timeout,
      );

      it(
        'supports both callback and Promise forms',
        async () => {
          const connector = await c();
          const key = randomKey();
          await new Promise<void>((resolve, reject) =>
            connector.set(key, { via: 'callback' }, (err) => (err ? reject(err) : resolve())),
          );
          const viaCallback = await new Promise<unknown>((resolve, reject) =>
            connector.get(key, (err, value) => (err ? reject(err) : resolve(value))),
          );
          expect<unknown>(viaCallback).toEqual({ via: 'callback' });
          expect<unknown>(await connector.get(key)).toEqual({ via: 'callback' });
          await new Promise<void>((resolve, reject) =>
            connector.set(key, 2, { version: 3 }, (err) => (err ? reject(err) : resolve())),
          );
          expect<unknown>(await connector.head(key)).toBe(3);
          await new Promise<void>((resolve, reject) =>
            connector.delete(key, (err) => (err ? reject(err) : resolve())),
          );
          expect<unknown>(await connector.get(key)).toBeNull();
          // An invalid key is reported to the callback, never thrown.
          const err = await new Promise<unknown>((resolve) => connector.get('', (e) => resolve(e)));
          expect<unknown>((err as ConnectorError).code).toBe('INVALID_KEY');
        },
        timeout,
      );
    });

    group('keys', (c) => {
      for (const awkward of AWKWARD_KEYS) {
        it(
          `works with the key ${JSON.stringify(awkward)}`,
          async () => {
            const connector = await c();
            const value = { key: awkward };
            await connector.set(awkward, value);
            expect<unknown>(await connector.get(awkward)).toEqual(value);
            await connector.delete(awkward);
            expect<unknown>(await connector.get(awkward)).toBeNull();
          },
          timeout,
        );
      }

      it(
        'keys differing only by case are distinct',
        async () => {
          const connector = await c();
          const base = randomKey('CaseKey');
          await connector.set(base.toLowerCase(), 'lower');
          await connector.set(base.toUpperCase(), 'upper');
          expect<unknown>(await connector.get(base.toLowerCase())).toBe('lower');
          expect<unknown>(await connector.get(base.toUpperCase())).toBe('upper');
        },
        timeout,
      );

      it(
        'a key of exactly maxKeyBytes works; one byte more is INVALID_KEY',
        async () => {
          const connector = await c();
          const max = supportsOf(connector).maxKeyBytes;
          const unique = randomKey('max');
          const atMax = unique + 'k'.repeat(max - Buffer.byteLength(unique));
          expect<unknown>(Buffer.byteLength(atMax)).toBe(max);
          await connector.set(atMax, 'at-max');
          expect<unknown>(await connector.get(atMax)).toBe('at-max');
          const overMax = atMax + 'k';
          await expectCode(connector.set(overMax, 'over'), 'INVALID_KEY');
          await expectCode(connector.get(overMax), 'INVALID_KEY');
          expect<unknown>(await connector.get(atMax)).toBe('at-max');
        },
        timeout,
      );

      it(
        'a multi-byte key at the byte limit works (limits are in UTF-8 bytes)',
        async () => {
          const connector = await c();
          const max = supportsOf(connector).maxKeyBytes;
          const unique = randomKey('mb');
          const fill = Math.floor((max - Buffer.byteLength(unique)) / 3);
          const key = unique + 'é'.repeat(0) + '日'.repeat(fill);
          expect<unknown>(Buffer.byteLength(key)).toBeLessThanOrEqual(max);
          await connector.set(key, 'multibyte');
          expect<unknown>(await connector.get(key)).toBe('multibyte');
        },
        timeout,
      );

      it(
        'rejects invalid keys with INVALID_KEY and leaves stored data intact',
        async () => {
          const connector = await c();
          const key = randomKey();
          await connector.set(key, 'intact');
          const bad: unknown[] = [
            '',
            null,
            undefined,
            42,
            {},
            ['a'],
            '\uD800lone-surrogate',
            'lone-low-\uDC00',
          ];
          for (const badKey of bad) {
            await expectCode(connector.set(badKey as string, 'x'), 'INVALID_KEY');
            await expectCode(connector.get(badKey as string), 'INVALID_KEY');
            await expectCode(connector.delete(badKey as string), 'INVALID_KEY');
          }
          expect<unknown>(await connector.get(key)).toBe('intact');
        },
        timeout,
      );
    });

    group('values', (c) => {
      const invalidValues = (): [string, unknown, string][] => {
        const circular: Record<string, unknown> = { a: 1 };
        circular.self = circular;
        class Point {
          constructor(public x: number) {}
        }
        // eslint-disable-next-line no-sparse-arrays
        const sparse = [1, , 3];
        return [
          ['undefined', undefined, '$'],
          ['a function', () => 1, '$'],
          ['a symbol', Symbol('s'), '$'],
          ['a BigInt', BigInt(1), '$'],
          ['NaN', NaN, '$'],
          ['Infinity', Infinity, '$'],
          ['-Infinity', -Infinity, '$'],
          ['a circular reference', circular, '$.self'],
          ['a Date', new Date(0), '$'],
          ['a Map', new Map([[1, 2]]), '$'],
          ['a class instance', new Point(1), '$'],
          ['a sparse array', sparse, '$[1]'],
          ['a nested undefined', { a: [1, 2, 3, { b: undefined }] }, '$.a[3].b'],
          ['a nested function', { list: [{ fn: () => 1 }] }, '$.list[0].fn'],
          ['a nested NaN under an awkward key', { 'a b': NaN }, '$["a b"]'],
          ['a Buffer', Buffer.from('x'), '$'],
        ];
      };

      it(
        'rejects values JSON cannot hold faithfully with INVALID_VALUE and the path; the old value stays',
        async () => {
          const connector = await c();
          const key = randomKey();
          await connector.set(key, { keep: 'me' });
          for (const [label, value, path] of invalidValues()) {
            const err = await expectCode(connector.set(key, value as JsonValue), 'INVALID_VALUE');
            expect<unknown>(err.details.path).withContext(label).toBe(path);
            expect<unknown>(err.message).withContext(label).toContain(path);
          }
          expect<unknown>(await connector.get(key)).toEqual({ keep: 'me' });
        },
        timeout,
      );

      it(
        'a value of exactly maxValueBytes round-trips; one byte more is VALUE_TOO_LARGE and the old value stays',
        async () => {
          const connector = await c();
          const max = supportsOf(connector).maxValueBytes;
          const key = randomKey();
          await connector.set(key, 'previous');
          const atMax = valueOfEncodedSize(codec, max);
          await connector.set(key, atMax);
          const back = await connector.get(key);
          expect<unknown>(typeof back).toBe('string');
          expect<unknown>((back as string).length).toBe(atMax.length);
          expect<unknown>(back === atMax).toBe(true);
          const overMax = valueOfEncodedSize(codec, max + 1);
          const other = randomKey();
          await connector.set(other, 'kept');
          await expectCode(connector.set(other, overMax), 'VALUE_TOO_LARGE');
          expect<unknown>(await connector.get(other)).toBe('kept');
        },
        Math.max(timeout, 60_000),
      );

      it(
        'rejects invalid write options with INVALID_OPTION',
        async () => {
          const connector = await c();
          const key = randomKey();
          await expectCode(connector.set(key, 1, { ttl: -1 }), 'INVALID_OPTION');
          await expectCode(connector.set(key, 1, { ttl: NaN }), 'INVALID_OPTION');
          await expectCode(connector.set(key, 1, { version: 1.5 }), 'INVALID_OPTION');
          expect<unknown>(await connector.get(key)).toBeNull();
        },
        timeout,
      );
    });

    group('concurrency', (c) => {
      it(
        'two sets and two gets of one key in the same tick each get their own callback; the last set wins',
        async () => {
          const connector = await c();
          const key = randomKey();
          const order: string[] = [];
          const results = await new Promise<unknown[]>((resolve, reject) => {
            const out: unknown[] = [];
            let pending = 4;
            const done = (label: string) => (err: ConnectorError | null, value?: unknown) => {
              if (err) return reject(err);
              order.push(label);
              out.push([label, value]);
              if (--pending === 0) resolve(out);
            };
            connector.set(key, 'first', done('set1'));
            connector.set(key, 'second', done('set2'));
            connector.get(key, done('get1'));
            connector.get(key, done('get2'));
          });
          expect<unknown>(results.length).toBe(4);
          expect<unknown>(order.filter((l) => l.startsWith('set'))).toEqual(['set1', 'set2']);
          expect<unknown>(await connector.get(key)).toBe('second');
        },
        timeout,
      );

      it(
        'set then delete in the same tick ends deleted; delete then set ends set; every callback fires',
        async () => {
          const connector = await c();
          const a = randomKey();
          const b = randomKey();
          await connector.set(b, 'old');
          const fired: string[] = [];
          await Promise.all([
            connector.set(a, 'x').then(() => fired.push('set a')),
            connector.delete(a).then(() => fired.push('delete a')),
            connector.delete(b).then(() => fired.push('delete b')),
            connector.set(b, 'new').then(() => fired.push('set b')),
          ]);
          expect<unknown>(fired.length).toBe(4);
          expect<unknown>(await connector.get(a)).toBeNull();
          expect<unknown>(await connector.get(b)).toBe('new');
        },
        timeout,
      );

      it(
        '1,000 parallel sets, then 1,000 parallel gets',
        async () => {
          const connector = await c();
          const keys = Array.from({ length: 1000 }, (_, i) => `${randomKey('par')}-${i}`);
          await Promise.all(keys.map((k, i) => connector.set(k, { i })));
          const values = await Promise.all(keys.map((k) => connector.get(k)));
          values.forEach((v, i) => expect<unknown>(v).toEqual({ i }));
        },
        Math.max(timeout, 60_000),
      );
    });

    // deepstream (and any server that answers clients in callback order) relies on this: a read
    // answered after a later write's acknowledgement sends a client the older version last.
    group('per-key completion order', (c) => {
      it(
        'operations on one key issued in one tick complete in issue order, callbacks and promises alike',
        async () => {
          const connector = await c();
          const key = randomKey();
          const other = randomKey();
          await connector.set(key, 'v0', { version: 1 });
          const order: string[] = [];
          const values = new Map<string, unknown>();
          const issued: string[] = [];
          const pending: Promise<void>[] = [];
          const viaCallback = (
            label: string,
            start: (cb: (err: Error | null, value?: unknown) => void) => void,
          ) => {
            issued.push(label);
            pending.push(
              new Promise<void>((resolve, reject) =>
                start((err, value) => {
                  order.push(label);
                  values.set(label, value);
                  if (err) reject(err);
                  else resolve();
                }),
              ),
            );
          };
          const viaPromise = (label: string, promise: Promise<unknown>) => {
            issued.push(label);
            pending.push(
              promise.then((value) => {
                order.push(label);
                values.set(label, value);
              }),
            );
          };
          viaCallback('get1', (cb) => connector.get(key, cb));
          viaCallback('set1', (cb) => connector.set(key, 'v1', { version: 2 }, cb));
          viaCallback('head1', (cb) => connector.head(key, cb));
          viaPromise('entry1', connector.getEntry(key));
          viaCallback('delete1', (cb) => connector.delete(key, cb));
          viaPromise('get2', connector.get(key));
          viaPromise('set2', connector.set(key, 'v2', { version: 3 }));
          viaCallback('bulk1', (cb) => connector.getBulk([other, key], cb));
          viaCallback('headBulk1', (cb) => connector.headBulk([key], cb));
          viaCallback('get3', (cb) => connector.get(key, cb));
          await Promise.all(pending);
          expect<unknown>(order).toEqual(issued);
          // A read sees every write issued before it; it may also see one issued after it, which
          // runs concurrently with it (the read's outcome is still delivered first).
          expect<unknown>(['v0', 'v1', null, 'v2']).toContain(values.get('get1'));
          expect<unknown>([2, null, 3]).toContain(values.get('head1'));
          expect<unknown>([{ value: 'v1', version: 2 }, null, { value: 'v2', version: 3 }]).toContain(
            values.get('entry1'),
          );
          expect<unknown>([null, 'v2']).toContain(values.get('get2'));
          expect<unknown>(values.get('bulk1')).toEqual([null, 'v2']);
          expect<unknown>(values.get('headBulk1')).toEqual([3]);
          expect<unknown>(values.get('get3')).toBe('v2');
        },
        timeout,
      );

      it(
        'a read completes before a write of its key issued a tick or a millisecond after it',
        async () => {
          const connector = await c();
          const key = randomKey();
          const laterTick = (then: () => void) => setImmediate(then);
          const laterMs = (then: () => void) => setTimeout(then, 1);
          const outOfOrder: string[] = [];
          for (let round = 0; round < 120; round++) {
            const delay = round % 2 === 0 ? laterTick : laterMs;
            const order: string[] = [];
            const read =
              round % 3 === 0
                ? connector.getEntry(key).then(() => order.push('read'))
                : new Promise<void>((resolve, reject) =>
                    connector.get(key, (err) => {
                      order.push('read');
                      if (err) reject(err);
                      else resolve();
                    }),
                  );
            const write = new Promise<void>((resolve, reject) =>
              delay(() =>
                connector.set(key, round, { version: round + 1 }, (err) => {
                  order.push('write');
                  if (err) reject(err);
                  else resolve();
                }),
              ),
            );
            await Promise.all([read, write]);
            if (order[0] !== 'read') outOfOrder.push(`round ${round}: ${order.join(' before ')}`);
          }
          expect<unknown>(outOfOrder).toEqual([]);
          expect<unknown>(await connector.getEntry(key)).toEqual({ value: 119, version: 120 });
        },
        Math.max(timeout, 60_000),
      );
    });

    group('bulk operations', (c) => {
      it(
        'setBulk, getBulk, getEntryBulk, headBulk and deleteBulk work (natively or emulated)',
        async () => {
          const connector = await c();
          const keys = Array.from({ length: 30 }, (_, i) => `${randomKey('bulk')}-${i}`);
          const missing = randomKey('bulk-missing');
          await connector.setBulk(keys.map((key, i) => ({ key, value: { i }, version: i + 1 })));
          const values = await connector.getBulk([...keys, missing]);
          expect<unknown>(values.length).toBe(31);
          keys.forEach((_, i) => expect<unknown>(values[i]).toEqual({ i }));
          expect<unknown>(values[30]).toBeNull();
          const entries = await connector.getEntryBulk([keys[3]!, missing]);
          expect<unknown>(entries).toEqual([{ value: { i: 3 }, version: 4 }, null]);
          expect<unknown>(await connector.headBulk([keys[0]!, missing, keys[29]!])).toEqual([1, null, 30]);
          await connector.deleteBulk([...keys.slice(0, 10), missing]);
          const after = await connector.getBulk(keys);
          after.forEach((v, i) => expect<unknown>(v).toEqual(i < 10 ? null : { i }));
          expect<unknown>(await connector.getBulk([])).toEqual([]);
        },
        timeout,
      );

      it(
        'bulk operations validate every key and write nothing when one is invalid',
        async () => {
          const connector = await c();
          const good = randomKey();
          await expectCode(
            connector.setBulk([
              { key: good, value: 1 },
              { key: '', value: 2 },
            ]),
            'INVALID_KEY',
          );
          await expectCode(connector.setBulk([{ key: good, value: NaN }]), 'INVALID_VALUE');
          expect<unknown>(await connector.get(good)).toBeNull();
          await expectCode(connector.getBulk([good, '']), 'INVALID_KEY');
        },
        timeout,
      );
    });

    group('compare-and-set', (c) => {
      it(
        'follows supports.compareAndSet: atomic on the version, or UNSUPPORTED',
        async () => {
          const connector = await c();
          const key = randomKey();
          if (!supportsOf(connector).compareAndSet) {
            await expectCode(
              connector.compareAndSet(key, 1, { expectedVersion: null, version: 1 }),
              'UNSUPPORTED',
            );
            expect<unknown>(await connector.get(key)).toBeNull();
            return;
          }
          await connector.compareAndSet(key, 'v1', { expectedVersion: null, version: 1 });
          expect<unknown>(await connector.getEntry(key)).toEqual({ value: 'v1', version: 1 });
          await expectCode(
            connector.compareAndSet(key, 'nope', { expectedVersion: null, version: 1 }),
            'CONFLICT',
          );
          await expectCode(
            connector.compareAndSet(key, 'nope', { expectedVersion: 7, version: 8 }),
            'CONFLICT',
          );
          await connector.compareAndSet(key, 'v2', { expectedVersion: 1, version: 2 });
          expect<unknown>(await connector.getEntry(key)).toEqual({ value: 'v2', version: 2 });
        },
        timeout,
      );

      it(
        'of two concurrent writers expecting the same version, exactly one wins',
        async () => {
          const connector = await c();
          if (!supportsOf(connector).compareAndSet) {
            await expectCode(connector.compareAndSet(randomKey(), 1, { expectedVersion: 0 }), 'UNSUPPORTED');
            return;
          }
          const key = randomKey();
          await connector.set(key, 'base', { version: 5 });
          const outcomes = await Promise.all(
            ['a', 'b', 'c', 'd'].map((who) =>
              connector.compareAndSet(key, who, { expectedVersion: 5, version: 6 }).then(
                () => who,
                (err: ConnectorError) => err.code,
              ),
            ),
          );
          const winners = outcomes.filter((o) => o.length === 1);
          expect<unknown>(winners.length).toBe(1);
          expect<unknown>(outcomes.filter((o) => o === 'CONFLICT').length).toBe(3);
          expect<unknown>(await connector.getEntry(key)).toEqual({ value: winners[0]!, version: 6 });
        },
        timeout,
      );
    });

    group('ttl', (c) => {
      it(
        'follows supports.ttl: entries expire after their TTL, or a TTL is UNSUPPORTED',
        async () => {
          const connector = await c();
          const s = supportsOf(connector);
          const key = randomKey();
          if (!s.ttl) {
            await expectCode(connector.set(key, 1, { ttl: 1000 }), 'UNSUPPORTED');
            expect<unknown>(await connector.get(key)).toBeNull();
            return;
          }
          const ttl = Math.max(200, s.ttlGranularityMs);
          const wait = options.ttlWaitMs ?? Math.max(1500, 2 * s.ttlGranularityMs + 500);
          const lasting = randomKey('lasting');
          await connector.set(key, 'short-lived', { ttl });
          await connector.set(lasting, 'lasting');
          expect<unknown>(await connector.get(key)).toBe('short-lived');
          await sleep(wait);
          expect<unknown>(await connector.get(key)).toBeNull();
          expect<unknown>(await connector.head(key)).toBeNull();
          expect<unknown>(await connector.get(lasting)).toBe('lasting');
        },
        timeout + 10_000,
      );

      it(
        'a long TTL keeps the entry and an overwrite without TTL makes it lasting',
        async () => {
          const connector = await c();
          const s = supportsOf(connector);
          if (!s.ttl) {
            await expectCode(
              connector.setBulk([{ key: randomKey(), value: 1 }], { ttl: 5000 }),
              'UNSUPPORTED',
            );
            return;
          }
          const key = randomKey();
          await connector.set(key, 'hour', { ttl: 3_600_000 });
          expect<unknown>(await connector.get(key)).toBe('hour');
          const short = randomKey();
          const ttl = Math.max(200, s.ttlGranularityMs);
          await connector.set(short, 'short', { ttl });
          await connector.set(short, 'now lasting');
          await sleep(options.ttlWaitMs ?? Math.max(1500, 2 * s.ttlGranularityMs + 500));
          expect<unknown>(await connector.get(short)).toBe('now lasting');
        },
        timeout + 10_000,
      );
    });

    describe('prefixes and persistence', () => {
      it(
        "two prefixes on one backend do not see each other's keys",
        async () => {
          const a = await make(randomPrefix());
          const b = await make(randomPrefix());
          await Promise.all([a.whenReady(), b.whenReady()]);
          const key = randomKey('shared-name');
          await a.set(key, 'from a');
          expect<unknown>(await b.get(key)).toBeNull();
          await b.set(key, 'from b');
          expect<unknown>(await a.get(key)).toBe('from a');
          expect<unknown>(await b.get(key)).toBe('from b');
          await b.delete(key);
          expect<unknown>(await a.get(key)).toBe('from a');
          await Promise.all([a.close(), b.close()]);
        },
        timeout,
      );

      it(
        'follows supports.persistent: data survives a new connector instance when persistent',
        async () => {
          const prefix = randomPrefix();
          const first = await make(prefix);
          await first.whenReady();
          const key = randomKey();
          await first.set(key, { durable: true }, { version: 9 });
          const persistent = first.supports.persistent;
          await first.close();
          const second = await make(prefix);
          await second.whenReady();
          const entry = await second.getEntry(key);
          if (persistent) expect<unknown>(entry).toEqual({ value: { durable: true }, version: 9 });
          else
            expect<unknown>(
              entry === null ||
                JSON.stringify(entry) === JSON.stringify({ value: { durable: true }, version: 9 }),
            ).toBe(true);
          await second.close();
        },
        timeout,
      );
    });
  });
}
