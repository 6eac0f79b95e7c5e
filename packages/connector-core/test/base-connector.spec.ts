import {
  BaseConnector,
  ConnectorError,
  MemoryCache,
  TieredStore,
  jsonCodec,
  msgpackCodec,
  type Codec,
  type ConnectorIdentity,
  type Supports,
  type WriteDone,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';
import { expectCode, sleep } from '@connector-kit/test-suite';
import { ScriptedConnector } from './scripted-connector';

describe('BaseConnector machinery', () => {
  const quiet = { warn: () => undefined, error: () => undefined };

  it('orders writes per key when the backend does not: the last set issued wins even if it finishes first', async () => {
    const c = new ScriptedConnector({ logger: quiet });
    // The first write is slow, the second fast: without ordering the first would land last.
    c.setDelay = (_k, r) => (r.value === 'first' ? 60 : 0);
    await Promise.all([c.set('k', 'first'), c.set('k', 'second')]);
    expect<unknown>(await c.get('k')).toBe('second');
    await c.close();
  });

  it('does not serialise writes on different keys', async () => {
    const c = new ScriptedConnector({ logger: quiet });
    c.setDelay = () => 100;
    await c.whenReady();
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.set(`k${i}`, i)));
    expect(Date.now() - started).toBeLessThan(600);
    await c.close();
  });

  it('a failed write does not block later writes on the same key', async () => {
    const c = new ScriptedConnector({ logger: quiet });
    const outcomes = await Promise.allSettled([c.set('k', 'explode'), c.set('k', 'after')]);
    expect(outcomes[0].status).toBe('rejected');
    expect(((outcomes[0] as PromiseRejectedResult).reason as ConnectorError).code).toBe('BACKEND');
    expect(((outcomes[0] as PromiseRejectedResult).reason as ConnectorError).message).toContain(
      'backend exploded',
    );
    expect(outcomes[1].status).toBe('fulfilled');
    expect<unknown>(await c.get('k')).toBe('after');
    await c.close();
  });

  it('a write that timed out still holds its key until it settles: a later read sees it', async () => {
    const c = new ScriptedConnector({ logger: quiet, operationTimeoutMs: 150 });
    await c.set('k', 'old');
    c.setDelay = (_k, r) => (r.value === 'slow' ? 220 : 0);
    await expectCode(c.set('k', 'slow'), 'TIMEOUT');
    expect<unknown>(await c.get('k')).toBe('slow');
    await c.close();
  });

  it('passes ConnectorErrors from drivers through unchanged', async () => {
    const c = new ScriptedConnector({ logger: quiet });
    await expectCode(c.set('k', 'conflict'), 'CONFLICT');
    await c.close();
  });

  it('bounds a hung operation by operationTimeoutMs with TIMEOUT', async () => {
    const c = new ScriptedConnector({ logger: quiet, operationTimeoutMs: 150 });
    await c.whenReady();
    c.hang = true;
    const started = Date.now();
    await expectCode(c.get('k'), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(c.stats().errors.TIMEOUT).toBe(1);
    const closing = c.close();
    await closing;
  });

  it('retries _open with backoff until it succeeds; operations issued meanwhile wait', async () => {
    const c = new ScriptedConnector({ logger: quiet, operationTimeoutMs: 3000 });
    c.openFailures = 2;
    const errors: ConnectorError[] = [];
    c.on('error', (e: ConnectorError) => errors.push(e));
    await c.set('k', 'waited');
    expect(c.openCalls).toBe(3);
    expect(errors.length).toBe(2);
    expect(errors[0]!.code).toBe('BACKEND');
    expect<unknown>(await c.get('k')).toBe('waited');
    await c.close();
  });

  it('abandons an _open that hangs after connectTimeoutMs, reports it and retries', async () => {
    const c = new ScriptedConnector({ logger: quiet, connectTimeoutMs: 150, operationTimeoutMs: 3000 });
    c.openHangs = 1;
    const errors: ConnectorError[] = [];
    c.on('error', (e: ConnectorError) => errors.push(e));
    await c.set('k', 'after a hung connect');
    expect(c.openCalls).toBe(2);
    expect(errors.map((e) => e.code)).toEqual(['TIMEOUT']);
    expect(errors[0]!.message).toContain('150 ms');
    await c.close();
  });

  it('fails operations with NOT_READY within their timeout when the backend never comes', async () => {
    const c = new ScriptedConnector({ logger: quiet, operationTimeoutMs: 200 });
    c.openFailures = 1000;
    c.on('error', () => undefined);
    const err = await expectCode(c.get('k'), 'NOT_READY');
    expect(err.message).toContain('connection refused');
    await c.close();
  });

  it('a CONFIG error from _open stops retries and fails operations fast', async () => {
    const c = new ScriptedConnector({ logger: quiet, operationTimeoutMs: 5000 });
    c.openFailures = 1;
    c.openError = () => new ConnectorError('CONFIG', 'authentication failed (WRONGPASS)');
    c.on('error', () => undefined);
    await expectCode(c.whenReady(), 'CONFIG');
    const started = Date.now();
    await expectCode(c.get('k'), 'CONFIG');
    expect(Date.now() - started).toBeLessThan(100);
    expect(c.openCalls).toBe(1);
    await c.close();
  });

  it('without an error listener, background errors are logged instead of crashing the process', async () => {
    const logged: string[] = [];
    const c = new ScriptedConnector({ logger: { warn: () => undefined, error: (m) => logged.push(m) } });
    c.openFailures = 1;
    c.openError = () => new Error('refused by redis://:topsecret@10.0.0.1:6379');
    await c.whenReady();
    expect(logged.length).toBe(1);
    expect(logged[0]).toContain('refused');
    expect(logged[0]).not.toContain('topsecret');
    await c.close();
  });

  it('when the backend goes away operations wait (bounded) and resume when it returns', async () => {
    const c = new ScriptedConnector({ logger: quiet, operationTimeoutMs: 1000 });
    await c.whenReady();
    const errors: ConnectorError[] = [];
    let readyEvents = 0;
    c.on('error', (e: ConnectorError) => errors.push(e));
    c.on('ready', () => readyEvents++);
    c.goDown(new Error('socket closed'));
    expect(c.isReady).toBe(false);
    expect(errors.length).toBe(1);
    const waiting = c.set('k', 'after outage');
    await sleep(100);
    c.comeBack();
    await waiting;
    expect(readyEvents).toBe(1);
    c.goDown(new Error('gone again'));
    await expectCode(c.get('k'), 'NOT_READY');
    await c.close();
  });

  it('calls each callback exactly once and a throwing callback surfaces as an uncaught exception, not a broken connector', async () => {
    const c = new ScriptedConnector({ logger: quiet });
    await c.whenReady();
    const uncaught: unknown[] = [];
    const original = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (e) => uncaught.push(e));
    let calls = 0;
    try {
      c.set('k', 1, () => {
        calls++;
        throw new Error('bug in the caller');
      });
      await sleep(50);
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const l of original) process.on('uncaughtException', l);
    }
    expect(calls).toBe(1);
    expect(uncaught.length).toBe(1);
    expect<unknown>(await c.get('k')).toBe(1);
    await c.close();
  });

  it('close() waits for in-flight operations, fails those waiting for readiness with CLOSED, and calls _close once', async () => {
    const c = new ScriptedConnector({ logger: quiet });
    c.openFailures = 1000;
    c.on('error', () => undefined);
    const waiting = c.get('k');
    await sleep(20);
    await c.close();
    await expectCode(waiting, 'CLOSED');
    await c.close();
    expect(c.closeCalls).toBe(1);

    const d = new ScriptedConnector({ logger: quiet });
    await d.whenReady();
    d.setDelay = () => 80;
    const inFlight = d.set('k', 'finishes');
    await d.close();
    await inFlight;
    expect(d.data.size).toBe(1);
    await expectCode(d.set('k', 2), 'CLOSED');
  });

  it('rejects construction-time configuration errors with CONFIG naming the field', () => {
    const bad = (options: object, field: string): void => {
      try {
        new ScriptedConnector(options);
        fail('expected CONFIG');
      } catch (err) {
        expect((err as ConnectorError).code).toBe('CONFIG');
        expect((err as ConnectorError).details.field).toBe(field);
      }
    };
    bad({ operationTimeoutMs: -5 }, 'operationTimeoutMs');
    bad({ connectTimeoutMs: 'soon' }, 'connectTimeoutMs');
    bad({ defaultTtl: 1000 }, 'defaultTtl'); // scripted connector has no TTL support
    bad({ codec: 'yaml' }, 'codec');
    bad({ url: 'nonsense' }, 'url');
  });

  it('refuses capabilities the backend lacks with UNSUPPORTED, and bulk calls fall back to single operations', async () => {
    const c = new ScriptedConnector({ logger: quiet });
    await expectCode(c.set('k', 1, { ttl: 100 }), 'UNSUPPORTED');
    await expectCode(c.compareAndSet('k', 1, { expectedVersion: null }), 'UNSUPPORTED');
    await c.setBulk([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect<unknown>(await c.getBulk(['a', 'b', 'c'])).toEqual([1, 2, null]);
    expect<unknown>(await c.headBulk(['a', 'c'])).toEqual([0, null]);
    await c.close();
  });

  it('applies the prefix to every key handed to the driver', async () => {
    const c = new ScriptedConnector({ logger: quiet, prefix: 'ns:' });
    await c.set('k', 1);
    expect(c.setCalls).toEqual(['ns:k']);
    expect([...c.data.keys()]).toEqual(['ns:k']);
    const fromUrl = new ScriptedConnector({ logger: quiet, url: 'scripted://h#from-url:' });
    expect(fromUrl.prefix).toBe('from-url:');
    await Promise.all([c.close(), fromUrl.close()]);
  });
});

const DOCUMENT_SUPPORTS: Supports = {
  ttl: false,
  ttlGranularityMs: 1,
  bulk: false,
  compareAndSet: false,
  maxKeyBytes: 1024,
  maxValueBytes: 1 << 20,
  persistent: false,
};

/** A document store that keeps the records its write hooks are handed (reads find nothing). */
class RecordingStore extends BaseConnector {
  readonly records: WriteRecord[] = [];
  constructor(identity: Omit<ConnectorIdentity, 'name' | 'version'>, codec: Codec = jsonCodec) {
    super({ codec }, { name: 'documents', version: '0', ...identity });
  }
  protected async _open(): Promise<void> {}
  protected async _close(): Promise<void> {}
  protected async _get(): Promise<null> {
    return null;
  }
  protected async _delete(): Promise<void> {}
  protected async _set(_key: string, record: WriteRecord): Promise<void> {
    this.records.push(record);
  }
  protected override async _setMany(items: { key: string; record: WriteRecord }[]): Promise<void> {
    for (const { record } of items) this.records.push(record);
  }
}

describe('BaseConnector for a document store (readsValues)', () => {
  it('hands the copy taken while validating to the first reader of record.value, a fresh decode to later ones', async () => {
    const store = new RecordingStore({ supports: DOCUMENT_SUPPORTS, readsValues: true });
    const decode = spyOn(jsonCodec, 'decode').and.callThrough();
    const value = { a: { b: [1, 2] } };
    await store.set('k', value);
    const record = store.records[0]!;
    const seen: unknown[] = [record.value, record.value];
    expect(decode).toHaveBeenCalledTimes(1); // only for the second reader
    expect(seen).toEqual([value, value]);
    expect(seen[0]).not.toBe(value);
    expect(seen[1]).not.toBe(seen[0]);
    await store.close();
  });
});

describe('BaseConnector for a document store that reads values only (valuesOnly)', () => {
  const LIMIT = 200;
  const valuesOnlyStore = (codec?: Codec): RecordingStore =>
    new RecordingStore(
      {
        supports: { ...DOCUMENT_SUPPORTS, bulk: true, maxValueBytes: LIMIT },
        readsValues: true,
        valuesOnly: true,
      },
      codec,
    );

  it('does not serialise a value whose size bound is within the limit; its one reader gets the private copy', async () => {
    const encode = spyOn(jsonCodec, 'encode').and.callThrough();
    const encodeCopy = spyOn(jsonCodec as Required<Codec>, 'encodeCopy').and.callThrough();
    const store = valuesOnlyStore();
    const value = { a: { b: [1, 'x'] } };
    await store.set('k', value);
    await store.setBulk([{ key: 'm', value }]);
    expect(encode).not.toHaveBeenCalled();
    expect(encodeCopy).not.toHaveBeenCalled();
    expect(store.records.length).toBe(2);
    for (const record of store.records) {
      expect(record.sizeBound).toBeGreaterThanOrEqual(JSON.stringify(value).length);
      const copy = record.value as typeof value;
      expect<unknown>(copy).toEqual(value);
      expect(copy).not.toBe(value);
      expect(copy.a.b).not.toBe(value.a.b);
      expect(() => record.data).toThrowError(/valuesOnly/);
      expect(() => record.value).toThrowError(/valuesOnly/);
    }
    await store.close();
  });

  it('measures exactly when the bound is over the limit: a value of exactly the limit is stored, one byte more refused', async () => {
    const store = valuesOnlyStore();
    // Bounded at 6 bytes per character (escapes), but plain ASCII: exactly length + 2 as JSON.
    await store.set('fits', 'a'.repeat(LIMIT - 2));
    expect(store.records[0]!.sizeBound).toBe(LIMIT);
    expect<unknown>(store.records[0]!.value).toBe('a'.repeat(LIMIT - 2));
    const error = await expectCode(store.set('over', 'a'.repeat(LIMIT - 1)), 'VALUE_TOO_LARGE');
    expect(error.message).toContain(`Value is ${LIMIT + 1} bytes serialised`);
    expect(store.records.length).toBe(1);
    await store.close();
  });

  it('with a codec that cannot bound its output, takes the bytes as before', async () => {
    const store = valuesOnlyStore(msgpackCodec);
    const value = { a: [1, 'x'] };
    await store.set('k', value);
    const record = store.records[0]!;
    expect(Buffer.from(record.data).equals(Buffer.from(msgpackCodec.encode(value)))).toBe(true);
    expect(record.sizeBound).toBe(record.data.byteLength);
    expect<unknown>(record.value).toEqual(value);
    await store.close();
  });
});

/** The base-class double with the callback write hook, completing on the next turn (or not). */
class CallbackWriteConnector extends ScriptedConnector {
  writeCalls = 0;
  outcome: 'ok' | 'fail' | 'conflict' | 'hang' | 'twice' | 'throw-after' = 'ok';

  constructor(options: ConstructorParameters<typeof ScriptedConnector>[0] = {}, preservesOrder = true) {
    super(options, preservesOrder);
  }

  protected override _write(key: string, record: WriteRecord | null, _ttl: number, done: WriteDone): void {
    this.writeCalls++;
    if (this.outcome === 'throw-after') {
      done(null);
      throw new Error('thrown after done');
    }
    setImmediate(() => {
      if (this.outcome === 'hang') return;
      if (this.outcome === 'fail') return done(new Error('callback backend exploded'));
      if (this.outcome === 'conflict') return done(new ConnectorError('CONFLICT', 'scripted conflict'));
      if (record === null) this.data.delete(key);
      else this.data.set(key, { data: record.data, version: record.version });
      done(null);
      if (this.outcome === 'twice') done(new Error('second report'));
    });
  }
}

describe('BaseConnector with the callback write hook (_write)', () => {
  const quiet = { warn: () => undefined, error: () => undefined };

  it('set and delete go through _write on a connector that keeps order itself, counted in its stats', async () => {
    const c = new CallbackWriteConnector({ logger: quiet });
    await c.set('k', { a: 1 }, { version: 3 });
    expect(c.writeCalls).toBe(1);
    expect(c.setCalls).toEqual([]); // the promise hook was not used
    expect<unknown>(await c.getEntry('k')).toEqual({ value: { a: 1 }, version: 3 });
    await c.delete('k');
    expect(c.writeCalls).toBe(2);
    expect<unknown>(await c.get('k')).toBeNull();
    expect(c.stats().operations).toEqual(jasmine.objectContaining({ set: 1, delete: 1 }));
    await c.close();
  });

  it('a failed _write rejects with BACKEND and its message, ConnectorErrors pass through, a silent one times out', async () => {
    const c = new CallbackWriteConnector({ logger: quiet, operationTimeoutMs: 150 });
    c.outcome = 'fail';
    const err = await expectCode(c.set('k', 1), 'BACKEND');
    expect(err.message).toContain('callback backend exploded');
    c.outcome = 'conflict';
    await expectCode(c.delete('k'), 'CONFLICT');
    c.outcome = 'hang';
    const started = Date.now();
    await expectCode(c.set('k', 2), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1000);
    c.outcome = 'ok';
    await c.set('k', 3);
    expect<unknown>(await c.get('k')).toBe(3);
    await c.close();
  });

  it('a second report, or a throw after reporting, settles the operation once, as the first report said', async () => {
    const c = new CallbackWriteConnector({ logger: quiet });
    c.outcome = 'twice';
    await c.set('k', 1);
    c.outcome = 'throw-after';
    await c.set('k', 2);
    expect(c.stats().operations['set']).toBe(2);
    await c.close();
  });

  it('without preservesOrder, writes keep to the promise hooks and the per-key chain', async () => {
    const c = new CallbackWriteConnector({ logger: quiet }, false);
    c.setDelay = (_k, r) => (r.value === 'first' ? 60 : 0); // without the chain, 'first' lands last
    await Promise.all([c.set('k', 'first'), c.set('k', 'second')]);
    expect(c.writeCalls).toBe(0);
    expect(c.setCalls).toEqual(['k', 'k']);
    expect<unknown>(await c.get('k')).toBe('second');
    await c.close();
  });

  it("a tiered store writes into such a tier through _write (the tier's shortcut), counted in the tier's stats", async () => {
    const tier = new CallbackWriteConnector({ logger: quiet });
    const store = new TieredStore({ caches: [tier], storage: new MemoryCache(), logger: quiet });
    await store.set('k', { v: 1 });
    await store.delete('gone');
    expect(tier.writeCalls).toBe(2);
    expect(tier.setCalls).toEqual([]);
    expect(tier.stats().operations).toEqual(jasmine.objectContaining({ set: 1, delete: 1 }));
    tier.outcome = 'fail';
    await expectCode(store.set('k', { v: 2 }), 'BACKEND');
    tier.outcome = 'ok';
    await store.flush();
    expect<unknown>(await store.get('k')).toEqual({ v: 1 });
    await store.close();
  });
});

/** A scripted connector whose reads can also answer synchronously (`_getNow`, `_headNow`). */
class SyncReadConnector extends ScriptedConnector {
  /** 'answer': from the map; 'decline': undefined (take the async path); 'throw'. */
  now: 'answer' | 'decline' | 'throw' = 'answer';
  nowCalls = 0;
  asyncCalls = 0;

  protected override _getNow(key: string): ReadRecord | null | undefined {
    this.nowCalls++;
    if (this.now === 'throw') throw new Error('synchronous read exploded');
    return this.now === 'decline' ? undefined : (this.data.get(key) ?? null);
  }

  protected override _headNow(key: string): number | null | undefined {
    this.nowCalls++;
    if (this.now === 'throw') throw new Error('synchronous read exploded');
    return this.now === 'decline' ? undefined : (this.data.get(key)?.version ?? null);
  }

  protected override _get(key: string): Promise<ReadRecord | null> {
    this.asyncCalls++;
    return super._get(key);
  }

  protected override _head(key: string): Promise<number | null> {
    this.asyncCalls++;
    return super._get(key).then((r) => r?.version ?? null);
  }
}

describe('BaseConnector with synchronous reads (_getNow, _headNow)', () => {
  const quiet = { warn: () => undefined, error: () => undefined };
  const inCallback = <T>(start: (cb: (err: ConnectorError | null, value?: T) => void) => void) =>
    new Promise<{ err: ConnectorError | null; value: T | undefined }>((resolve) =>
      start((err, value) => resolve({ err, value })),
    );

  it('answers a read of an idle key synchronously, counted in the stats like any read', async () => {
    const c = new SyncReadConnector({ logger: quiet });
    await c.set('k', { a: 1 }, { version: 4 });
    expect<unknown>(await c.get('k')).toEqual({ a: 1 });
    expect<unknown>(await c.getEntry('k')).toEqual({ value: { a: 1 }, version: 4 });
    expect(await c.head('k')).toBe(4);
    expect<unknown>(await c.get('missing')).toBeNull();
    expect(c.nowCalls).toBe(4);
    expect(c.asyncCalls).toBe(0);
    const stats = c.stats();
    expect(stats.operations).toEqual(jasmine.objectContaining({ get: 2, getEntry: 1, head: 1 }));
    expect(stats.hits).toBe(2);
    expect(stats.misses).toBe(1);
    expect(stats.latencyMs.count).toBe(5); // the set and the four reads
    expect(stats.inFlight).toBe(0);
    await c.close();
  });

  it('never calls a callback inside the call that issued the read, with a value or an error', async () => {
    const c = new SyncReadConnector({ logger: quiet });
    await c.set('k', 'v');
    let inside = true;
    const seenInside: boolean[] = [];
    const noting =
      <T>(cb: (err: ConnectorError | null, value?: T) => void) =>
      (err: ConnectorError | null, value?: T) => {
        seenInside.push(inside);
        cb(err, value);
      };
    const read = inCallback<unknown>((cb) => c.get('k', noting(cb)));
    const head = inCallback<number | null>((cb) => c.head('k', noting(cb)));
    c.now = 'throw';
    const failed = inCallback<unknown>((cb) => c.getEntry('k', noting(cb)));
    inside = false;
    expect((await read).value).toBe('v');
    expect((await head).value).toBe(0);
    const { err } = await failed;
    expect(err?.code).toBe('BACKEND');
    expect(err?.message).toContain('synchronous read exploded');
    expect(seenInside).toEqual([false, false, false]);
    expect(c.stats().errors).toEqual(jasmine.objectContaining({ BACKEND: 1 }));
    await expectCode(c.get('k'), 'BACKEND');
    expect(c.asyncCalls).toBe(0);
    await c.close();
  });

  for (const preservesOrder of [false, true]) {
    it(`a read of a key with a write in flight waits for it and is delivered after it (preservesOrder: ${preservesOrder})`, async () => {
      const c = new SyncReadConnector({ logger: quiet }, preservesOrder);
      await c.set('k', 'old', { version: 1 });
      c.setDelay = () => 40;
      const order: string[] = [];
      const write = c.set('k', 'new', { version: 2 }).then(() => order.push('set'));
      const viaPromise = c.get('k').then((v) => (order.push('get'), v));
      const viaCallback = inCallback<number | null>((cb) => c.head('k', cb)).then((r) => {
        order.push('head');
        return r.value;
      });
      const [, value, version] = await Promise.all([write, viaPromise, viaCallback]);
      // (A backend that keeps order itself would apply the write before the reads; this scripted
      // one does not, so only the order of delivery and the path taken are checked there.)
      if (!preservesOrder) {
        expect<unknown>(value).toBe('new');
        expect(version).toBe(2);
      }
      expect(order).toEqual(['set', 'get', 'head']);
      expect(c.nowCalls).toBe(0);
      expect(c.asyncCalls).toBe(2);
      // Idle again: answered synchronously.
      expect<unknown>(await c.get('k')).toBe('new');
      expect(c.nowCalls).toBe(1);
      await c.close();
    });
  }

  it('a later operation of the key, issued before the read is delivered, is delivered after it', async () => {
    const c = new SyncReadConnector({ logger: quiet });
    await c.set('k', 'v');
    const order: string[] = [];
    // The reads are answered at once; the bad writes fail at once too (same key, a valid one).
    const read = inCallback<unknown>((cb) =>
      c.get('k', (err, value) => (order.push('get (callback)'), cb(err, value))),
    );
    const bad = inCallback<void>((cb) => c.set('k', 'v', { ttl: -1 }, (err) => (order.push('set'), cb(err))));
    const read2 = c.get('k').then(() => order.push('get (promise)'));
    const bad2 = c.set('k', 'v', { ttl: -1 }).catch(() => order.push('set again'));
    const read3 = c.head('k').then(() => order.push('head (promise)'));
    const bad3 = inCallback<void>((cb) =>
      c.set('k', 'v', { ttl: -1 }, (err) => (order.push('set (callback)'), cb(err))),
    );
    await Promise.all([read, bad, read2, bad2, read3, bad3]);
    expect(order).toEqual([
      'get (callback)',
      'set',
      'get (promise)',
      'set again',
      'head (promise)',
      'set (callback)',
    ]);
    await c.close();
  });

  it('answers bulk reads synchronously when every key is idle, else in order behind the busy key', async () => {
    const c = new SyncReadConnector({ logger: quiet });
    await c.set('a', 1, { version: 1 });
    await c.set('b', 2, { version: 2 });
    expect<unknown>(await c.getBulk(['a', 'b', 'none'])).toEqual([1, 2, null]);
    expect<unknown>(await c.getEntryBulk(['b'])).toEqual([{ value: 2, version: 2 }]);
    expect(await c.headBulk(['a', 'none'])).toEqual([1, null]);
    expect(c.nowCalls).toBe(6);
    expect(c.asyncCalls).toBe(0);
    expect(c.stats().operations).toEqual(
      jasmine.objectContaining({ getBulk: 1, getEntryBulk: 1, headBulk: 1 }),
    );
    expect([c.stats().hits, c.stats().misses]).toEqual([3, 1]);
    // 'b' has a write in flight: the whole bulk read waits for it and is delivered after it.
    c.setDelay = () => 40;
    const order: string[] = [];
    const write = c.set('b', 3, { version: 3 }).then(() => order.push('set'));
    const bulk = c.getBulk(['a', 'b']).then((v) => (order.push('getBulk'), v));
    const heads = c.headBulk(['b']).then((v) => (order.push('headBulk'), v));
    const [, values, versions] = await Promise.all([write, bulk, heads]);
    expect<unknown>(values).toEqual([1, 3]);
    expect(versions).toEqual([3]);
    expect(order).toEqual(['set', 'getBulk', 'headBulk']);
    expect(c.nowCalls).toBe(6);
    // A key the hook cannot answer sends the whole read down the asynchronous path, counted once.
    c.now = 'decline';
    const before = c.stats().hits;
    expect<unknown>(await c.getBulk(['a', 'b'])).toEqual([1, 3]);
    expect(c.stats().hits).toBe(before + 2);
    c.now = 'throw';
    await expectCode(c.headBulk(['a']), 'BACKEND');
    await c.close();
  });

  it('takes the asynchronous path when the hook declines, before readiness and after close', async () => {
    const c = new SyncReadConnector({ logger: quiet });
    const early = c.get('k'); // not ready yet: waits, then reads through _get
    expect<unknown>(await early).toBeNull();
    expect(c.asyncCalls).toBe(1);
    await c.set('k', 1);
    c.now = 'decline';
    expect<unknown>(await c.getEntry('k')).toEqual({ value: 1, version: 0 });
    expect(await c.head('k')).toBe(0);
    expect(c.asyncCalls).toBe(3);
    expect(c.nowCalls).toBe(2);
    c.now = 'answer';
    await c.close();
    await expectCode(c.get('k'), 'CLOSED');
    expect(c.nowCalls).toBe(2);
  });
});
