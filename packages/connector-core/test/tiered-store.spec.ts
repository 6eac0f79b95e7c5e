import fc from 'fast-check';
import {
  ConnectorError,
  MemoryCache,
  MemoryStore,
  TieredStore,
  jsonCodec,
  type JournalEntry,
  type JsonValue,
  type WriteBehindOptions,
  type WriteRecord,
} from '@connector-kit/connector-core';
import { describeConnector, eventually, expectCode, sleep } from '@connector-kit/test-suite';
import { FlakyStorage } from './flaky-storage';

const quiet = { warn: () => undefined, error: () => undefined };

// The tiered store is itself a connector: the common spec, memory → memory-backed storage tier.
const sharedCache = new MemoryStore();
const sharedStorage = new MemoryStore();
describeConnector({
  name: 'TieredStore (memory cache → storage tier)',
  create: ({ prefix }) =>
    new TieredStore({
      prefix,
      caches: [new MemoryCache({ store: sharedCache })],
      storage: new FlakyStorage({ store: sharedStorage }),
    }),
  supports: { persistent: false, compareAndSet: false },
});

interface Setup {
  l1: MemoryCache;
  l2: MemoryCache;
  storage: FlakyStorage;
  store: TieredStore;
  errors: ConnectorError[];
}

function setup(
  options: Partial<ConstructorParameters<typeof TieredStore>[0]> = {},
  twoCaches = false,
): Setup {
  const l1 = new MemoryCache();
  const l2 = new MemoryCache();
  const storage = new FlakyStorage({ logger: quiet });
  const store = new TieredStore({
    caches: twoCaches ? [l1, l2] : [l1],
    storage,
    logger: quiet,
    writeBehind: { retryInitialDelayMs: 20, retryMaxDelayMs: 200 },
    ...options,
  });
  const errors: ConnectorError[] = [];
  store.on('error', (e: ConnectorError) => errors.push(e));
  return { l1, l2, storage, store, errors };
}

/** A memory cache that plays a journaling cache (marks nothing): the store journals and rides through it. */
class JournalingMemoryCache extends MemoryCache {
  readonly journaling = true as const;
  setJournaled(key: string, value: JsonValue, options: { version?: number; ttl?: number }): Promise<void> {
    return this.set(key, value, options);
  }
  deleteJournaled(key: string, _options?: { token: string }): Promise<void> {
    return this.delete(key);
  }
  readJournal(): Promise<JournalEntry[]> {
    return Promise.resolve([]);
  }
  clearJournal(_journal: string, _entries: readonly { key: string; token: string }[]): Promise<void> {
    return Promise.resolve();
  }
}

/** A journaling memory cache holding the journal a lost process left; it records what is cleared. */
class LeftJournalCache extends JournalingMemoryCache {
  cleared: string[] = [];

  constructor(private readonly left: JournalEntry[]) {
    super({ store: new MemoryStore() });
  }

  override readJournal(): Promise<JournalEntry[]> {
    return Promise.resolve(this.left);
  }

  override clearJournal(_journal: string, entries: readonly { key: string; token: string }[]): Promise<void> {
    this.cleared.push(...entries.map((e) => e.key));
    return Promise.resolve();
  }
}

/** A write of the property tests: applied to their model and issued to the store (not awaited). */
function issueWrite(
  store: TieredStore,
  model: Map<string, JsonValue>,
  write: { kind: 'set'; key: string; value: JsonValue } | { kind: 'delete'; key: string },
): Promise<void> {
  if (write.kind === 'set') {
    model.set(write.key, write.value);
    return store.set(write.key, write.value);
  }
  model.delete(write.key);
  return store.delete(write.key);
}

/** The `details.field` of the error `fn` throws. */
function field(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return (err as ConnectorError).details.field;
  }
  return 'no error';
}

describe('TieredStore behaviour', () => {
  it('acknowledges once the caches have a write and writes storage behind it', async () => {
    const { store, storage, l1 } = setup();
    storage.latencyMs = 100;
    const started = Date.now();
    await store.set('k', { v: 1 }, { version: 4 });
    expect(Date.now() - started).toBeLessThan(80);
    expect<unknown>(await l1.getEntry('k')).toEqual({ value: { v: 1 }, version: 4 });
    expect(storage.store.get('k')).toBeUndefined();
    await store.flush();
    expect<unknown>(await storage.getEntry('k')).toEqual({ value: { v: 1 }, version: 4 });
    await store.close();
  });

  it('write-through mode awaits storage, and a storage failure fails the write', async () => {
    const { store, storage } = setup({ writeMode: 'write-through' });
    await store.set('k', 1);
    expect<unknown>(await storage.get('k')).toBe(1);
    storage.down = true;
    await expectCode(store.set('k', 2), 'BACKEND');
    await store.close();
  });

  it('reads cache first, then storage, and a lower hit fills the tiers above it', async () => {
    const { store, storage, l1, l2 } = setup({}, true);
    await storage.set('deep', { from: 'storage' }, { version: 2 });
    expect<unknown>(await store.getEntry('deep')).toEqual({ value: { from: 'storage' }, version: 2 });
    await eventually(() => l1.store.size === 1 && l2.store.size === 1, 1000, 'fills of both caches');
    expect<unknown>(await l1.getEntry('deep')).toEqual({ value: { from: 'storage' }, version: 2 });
    storage.reads = 0;
    expect<unknown>(await store.get('deep')).toEqual({ from: 'storage' });
    expect(storage.reads).toBe(0);
    await l1.delete('deep');
    expect<unknown>(await store.get('deep')).toEqual({ from: 'storage' }); // from l2
    expect(storage.reads).toBe(0);
    await eventually(() => l1.store.size === 1, 1000, 'refill of l1 from l2');
    const s = store.stats().tiered;
    expect(s.tiers.map((t) => t.hits)).toEqual([1, 1, 1]);
    await store.close();
  });

  it('read-your-writes: a write acknowledged but not yet in storage is never hidden by a stale storage value', async () => {
    const { store, storage, l1 } = setup();
    await storage.set('k', 'stale');
    storage.down = true; // the write stays queued
    await store.set('k', 'fresh');
    l1.store.clear(); // the cache loses it (eviction)
    storage.down = false;
    storage.latencyMs = 50;
    expect<unknown>(await store.get('k')).toBe('fresh');
    await store.delete('k');
    l1.store.clear();
    expect<unknown>(await store.get('k')).toBeNull();
    await store.flush();
    expect<unknown>(await storage.get('k')).toBeNull();
    await store.close();
  });

  it('a read served from the queue returns one write whole while a rewrite of the key lands', async () => {
    // The rewrite has the same length, so the queue copies it into the entry's bytes in place. It
    // starts 0–20 microtasks after the read, so that it lands before, during and after the
    // read's time between finding the bytes and decoding them (2–5 in Node 20).
    for (let delay = 0; delay <= 20; delay++) {
      const { store, l1 } = setup();
      await store.set('k', 'aaaa', { version: 1 });
      l1.store.clear(); // the read will find the write in the queue
      const read = store.getEntry('k');
      let turn = Promise.resolve();
      for (let i = 0; i < delay; i++) turn = turn.then(() => undefined);
      await Promise.all([read, turn.then(() => store.set('k', 'bbbb', { version: 2 }))]);
      expect([
        { value: 'aaaa', version: 1 },
        { value: 'bbbb', version: 2 },
      ])
        .withContext(`rewrite ${delay} microtasks after the read`)
        .toContain((await read) as never);
      await store.close();
    }
  });

  it('read-your-writes holds while the storage write is in flight', async () => {
    const { store, storage, l1 } = setup({ writeBehind: { writeDelayMs: 0 } });
    await storage.set('k', 'stale');
    storage.latency = (write) => (write ? 150 : 0);
    await store.set('k', 'fresh');
    await sleep(30); // dispatched: now in flight for ~120 ms more
    expect(store.stats().tiered.queue.inFlight).toBe(1);
    l1.store.clear();
    expect<unknown>(await store.get('k')).toBe('fresh');
    await store.flush();
    await store.close();
  });

  it('concurrent misses on one key make one storage read (single-flight)', async () => {
    const { store, storage } = setup();
    await storage.set('hot', 'v');
    storage.latencyMs = 50;
    storage.reads = 0;
    const values = await Promise.all(Array.from({ length: 20 }, () => store.get('hot')));
    expect(values.every((v) => v === 'v')).toBe(true);
    expect(storage.reads).toBe(1);
    await store.close();
  });

  it('a storage hit never overwrites a newer value written while the read was in flight', async () => {
    const { store, storage, l1 } = setup();
    await storage.set('k', 'old');
    storage.latencyMs = 80;
    const reading = store.get('k');
    await sleep(20);
    storage.latencyMs = 0;
    await store.set('k', 'new');
    await reading;
    await sleep(50);
    expect<unknown>(await l1.get('k')).toBe('new');
    expect<unknown>(await store.get('k')).toBe('new');
    await store.close();
  });

  it('keeps per-key order and coalesces writes pending behind a slow storage', async () => {
    const { store, storage } = setup({ writeBehind: { concurrency: 1, batchSize: 10 } });
    storage.latencyMs = 30;
    for (let i = 0; i < 200; i++) await store.set(`k${i % 5}`, i);
    await store.delete('k0');
    await store.flush();
    expect<unknown>(await storage.getBulk(['k0', 'k1', 'k2', 'k3', 'k4'])).toEqual([
      null,
      196,
      197,
      198,
      199,
    ]);
    const q = store.stats().tiered.queue;
    expect(q.coalesced).toBeGreaterThan(150);
    expect(storage.writtenKeys).toBeLessThan(60);
    await store.close();
  });

  it('writeDelayMs: a hot key reaches storage at most once per window, flush() does not wait for it', async () => {
    const { store, storage } = setup({ writeBehind: { writeDelayMs: 300 } });
    await store.whenReady();
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      await store.set('hot', i);
      await sleep(4);
    }
    // ~200 ms of rewrites: nothing is due yet, so storage has seen nothing.
    expect(Date.now() - started).toBeLessThan(300);
    expect(storage.writtenKeys).toBe(0);
    await eventually(() => storage.writtenKeys > 0, 2000, 'the delayed storage write');
    expect(storage.writtenKeys).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect<unknown>(await storage.get('hot')).toBe(49);
    await store.set('later', 1);
    await store.flush(); // forced: no waiting out the delay
    expect<unknown>(await storage.get('later')).toBe(1);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(
      field(
        () => new TieredStore({ caches: [new MemoryCache()], storage, writeBehind: { writeDelayMs: -1 } }),
      ),
    ).toBe('writeBehind.writeDelayMs');
    await store.close();
  });

  it('a key rewritten without pause still reaches storage once due: writes riding its journal mark cannot hold it back', async () => {
    // Slow cache writes from four writers that never pause: some write of 'hot' is always riding
    // the pending entry's mark, and a ridden entry is not dispatched while a ride is under way.
    class SlowJournalingCache extends JournalingMemoryCache {
      protected override async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
        await sleep(10);
        return super._set(key, record, ttl);
      }
    }
    const storage = new FlakyStorage({ logger: quiet });
    const store = new TieredStore({
      caches: [new SlowJournalingCache()],
      storage,
      logger: quiet,
      writeBehind: { writeDelayMs: 100, lingerMs: 5 },
    });
    let stop = false;
    let last = 0;
    const writer = async (): Promise<void> => {
      while (!stop) await store.set('hot', ++last);
    };
    const writers = [writer(), writer(), writer(), writer()];
    try {
      await eventually(() => storage.writtenKeys > 0, 1500, 'a storage write while writers keep riding');
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    await store.flush(2000);
    expect<unknown>(await storage.get('hot')).toBe(last);
    await store.close();
  });

  it('a queued write keeps its TTL: it expires while queued, and storage gets what is left of it or a delete', async () => {
    const { store, storage } = setup({ writeBehind: { writeDelayMs: 400 } });
    await storage.set('gone', 'old');
    await store.set('gone', 'short-lived', { ttl: 150 });
    await store.set('kept', 'long-lived', { ttl: 60_000 });
    await sleep(250);
    // The cache copy has expired, and so has the write still waiting in the queue.
    expect<unknown>(await store.get('gone')).toBeNull();
    expect<unknown>(await store.get('kept')).toBe('long-lived');
    await store.flush();
    // The newest write of 'gone' expired: storage must not keep (or bring back) the older value.
    expect<unknown>(await storage.get('gone')).toBeNull();
    expect<unknown>(await storage.get('kept')).toBe('long-lived');
    await store.close();
  });

  it('hands tiers the bytes it encoded at set() (one serialisation), and plain values to tiers that do not take bytes', async () => {
    const l1 = new MemoryCache();
    const msgpackTier = new MemoryCache({ codec: 'msgpack' });
    const storage = new FlakyStorage({ logger: quiet });
    const seen: unknown[] = [];
    // A connector of someone else's making: it implements the interface, not the base class.
    const foreign = new Proxy(new MemoryCache(), {
      get(target, property, receiver) {
        if (typeof property === 'symbol') return undefined;
        if (property === 'set') {
          return (key: string, value: JsonValue, options: object) => {
            seen.push(value);
            return target.set(key, value, options);
          };
        }
        const member = Reflect.get(target, property, receiver) as unknown;
        return typeof member === 'function' ? (member as (...a: unknown[]) => unknown).bind(target) : member;
      },
    });
    const store = new TieredStore({ caches: [l1, msgpackTier, foreign], storage, logger: quiet });
    await store.whenReady();
    const encode = spyOn(jsonCodec, 'encode').and.callThrough();
    const decode = spyOn(jsonCodec, 'decode').and.callThrough();
    const value = { a: [1, 'two', { three: null }], 'we.ird$': true };
    await store.set('k', value, { version: 7 });
    await store.flush();
    expect(encode).toHaveBeenCalledTimes(2); // the store's own, and the foreign tier's
    expect(decode).toHaveBeenCalledTimes(2); // for the msgpack tier and the foreign tier
    expect<unknown>(seen).toEqual([value]);
    for (const tier of [l1, msgpackTier, foreign, storage]) {
      expect<unknown>(await tier.getEntry('k')).toEqual({ value, version: 7 });
    }
    await store.close();
  });

  it('writes straight into kit cache tiers that share its codec, and through set() into the others', async () => {
    const l1 = new MemoryCache();
    const msgpackTier = new MemoryCache({ codec: 'msgpack' });
    const storage = new FlakyStorage({ logger: quiet });
    const store = new TieredStore({ caches: [l1, msgpackTier], storage, logger: quiet });
    await store.whenReady();
    const l1Set = spyOn(l1, 'set').and.callThrough();
    const l1Delete = spyOn(l1, 'delete').and.callThrough();
    const msgpackSet = spyOn(msgpackTier, 'set').and.callThrough();
    await store.set('k', { a: 1 }, { version: 3, ttl: 60_000 });
    expect(l1Set).not.toHaveBeenCalled();
    expect(msgpackSet).toHaveBeenCalledTimes(1);
    expect<unknown>(await l1.getEntry('k')).toEqual({ value: { a: 1 }, version: 3 });
    expect(l1.stats().operations['set']).toBe(1); // the shortcut still counts
    await store.delete('k');
    expect(l1Delete).not.toHaveBeenCalled();
    expect<unknown>(await l1.get('k')).toBeNull();
    expect<unknown>(await msgpackTier.get('k')).toBeNull();
    await store.close();
  });

  it('a cache tier that throws instead of rejecting fails the write and gives back its queue room', async () => {
    // A journaling cache of someone else's making whose journaled write throws synchronously.
    class ThrowingJournalCache extends JournalingMemoryCache {
      throwNow = false;
      override setJournaled(
        key: string,
        value: JsonValue,
        options: { version?: number; ttl?: number },
      ): Promise<void> {
        if (this.throwNow) throw new Error('thrown, not rejected');
        return super.setJournaled(key, value, options);
      }
    }
    const cache = new ThrowingJournalCache();
    const storage = new FlakyStorage({ logger: quiet });
    const store = new TieredStore({ caches: [cache], storage, logger: quiet });
    await store.set('ok', 1);
    await store.flush();
    cache.throwNow = true;
    await expectCode(store.set('k', 2), 'BACKEND');
    const queue = store.stats().tiered.queue;
    expect(queue.bytes).toBe(0);
    expect(queue.depth).toBe(0);
    cache.throwNow = false;
    await store.set('k', 3);
    await store.flush(2000);
    expect<unknown>(await storage.get('k')).toBe(3);
    await store.close();
  });

  it('a write the cache tier rejects through its shortcut gives back its queue room and its ride', async () => {
    // A kit cache (so the store writes through its DIRECT_WRITE shortcut) that journals, so later
    // writes of a pending key ride its mark; its backend write rejects on cue.
    class FailingJournalCache extends JournalingMemoryCache {
      failWrites = false;
      protected override _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
        if (this.failWrites) return Promise.reject(new Error('cache write refused'));
        return super._set(key, record, ttl);
      }
    }
    const cache = new FailingJournalCache();
    const storage = new FlakyStorage({ logger: quiet });
    const store = new TieredStore({ caches: [cache], storage, logger: quiet });
    await store.set('k', 1); // journaled: pending, with a mark later writes of k ride
    const before = store.stats().tiered.queue;
    cache.failWrites = true;
    const err = await expectCode(store.set('k', 2), 'BACKEND'); // rides, goes direct, is refused
    expect(err.message).toContain('cache write refused');
    await expectCode(store.set('other', 2), 'BACKEND'); // no pending entry: no ride, direct, refused
    const after = store.stats().tiered.queue;
    expect(after.depth).toBe(before.depth);
    expect(after.bytes).toBe(before.bytes);
    cache.failWrites = false;
    await store.set('k', 3);
    // The refused ride was given back: the entry is not held, flush completes.
    await store.flush(2000);
    expect<unknown>(await storage.getBulk(['k', 'other'])).toEqual([3, null]);
    expect<unknown>(await store.get('k')).toBe(3);
    await store.close();
  });

  it('a cache write that fails after the cache applied it (reply lost) leaves the cache no newer than storage', async () => {
    // The tier applies the write and then reports failure, as when a connection drops between a
    // command and its reply. Without invalidation the cache would keep the unacknowledged value
    // while storage gets the older, acknowledged one — for good, until the key's next write.
    class AppliedThenFailedCache extends MemoryCache {
      loseReplies = false;
      protected override async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
        await super._set(key, record, ttl);
        if (this.loseReplies) throw new Error('connection lost before the reply');
      }
    }
    class AppliedThenFailedJournalCache extends JournalingMemoryCache {
      loseReplies = false;
      protected override async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
        await super._set(key, record, ttl);
        if (this.loseReplies) throw new Error('connection lost before the reply');
      }
    }
    for (const journaled of [false, true]) {
      // Plain: the failed write is a reserved one. Journaling: it rides the pending entry's mark.
      const cache = journaled ? new AppliedThenFailedJournalCache() : new AppliedThenFailedCache();
      const storage = new FlakyStorage({ logger: quiet });
      const store = new TieredStore({ caches: [cache], storage, logger: quiet });
      await store.set('k', 1); // pending (journaled: rides come next)
      cache.loseReplies = true;
      await expectCode(store.set('k', 2), 'BACKEND');
      cache.loseReplies = false;
      expect<unknown>(await cache.get('k'))
        .withContext(`journaled: ${journaled}`)
        .not.toBe(2);
      expect<unknown>(await store.get('k'))
        .withContext(`journaled: ${journaled}`)
        .toBe(1);
      await store.flush(2000);
      expect<unknown>(await storage.get('k')).toBe(1);
      expect<unknown>(await store.get('k')).toBe(1);
      await store.close();
    }
  });

  it("journal recovery gives storage what is left of a recovered set's TTL", async () => {
    // A journal left by a lost process: two sets, one of whose cached values expires.
    const cache = new LeftJournalCache([
      { key: 'lasting', token: 't1', op: 'set' },
      { key: 'expiring', token: 't2', op: 'set', ttlMs: 400 },
    ]);
    const storage = new FlakyStorage({ logger: quiet });
    const seeded = new MemoryCache({ store: cache.store });
    await seeded.set('lasting', 'L', { version: 2 });
    await seeded.set('expiring', 'E', { version: 5, ttl: 400 });
    const store = new TieredStore({
      caches: [cache],
      storage,
      logger: quiet,
      writeBehind: { markRetentionMs: 0 }, // marks go as soon as storage has their writes
    });
    await store.whenReady();
    expect(store.stats().tiered.journalRecovered).toBe(2);
    await store.flush(2000);
    expect<unknown>(await storage.getEntry('expiring')).toEqual({ value: 'E', version: 5 });
    expect<unknown>(await storage.getEntry('lasting')).toEqual({ value: 'L', version: 2 });
    expect(cache.cleared.sort()).toEqual(['expiring', 'lasting']);
    await sleep(500);
    expect<unknown>(await storage.get('expiring')).toBeNull(); // expired in storage as in the cache
    expect<unknown>(await storage.get('lasting')).toBe('L');
    await Promise.all([store.close(), seeded.close()]);
  });

  it("with a prefix: every tier holds prefixed keys; exclusions, errors and recovery go by the caller's keys", async () => {
    // A journal left by lost processes of this store ('app:') and of another store ('other:').
    const cache = new LeftJournalCache([
      { key: 'app:left', token: 't1', op: 'set' },
      { key: 'other:left', token: 't2', op: 'set' },
    ]);
    const seeded = new MemoryCache({ store: cache.store });
    await seeded.set('app:left', 'L');
    await seeded.set('other:left', 'O');
    const storage = new FlakyStorage({ logger: quiet });
    const store = new TieredStore({
      prefix: 'app:',
      caches: [cache],
      storage,
      logger: quiet,
      storageExclusionPrefixes: ['tmp/'],
      closeTimeoutMs: 200,
      writeBehind: { markRetentionMs: 0 }, // marks go as soon as storage has their writes
    });
    const errors: ConnectorError[] = [];
    store.on('error', (e: ConnectorError) => errors.push(e));
    await store.whenReady();
    // Recovery completed this store's write only: the other store's storage may not be ours.
    expect(store.stats().tiered.journalRecovered).toBe(1);
    await store.set('k', 1);
    await store.set('tmp/x', 2); // excluded by the caller's key, not the prefixed one
    await store.flush(2000);
    expect(cache.cleared.sort()).toEqual(['app:k', 'app:left']);
    expect<unknown>(await storage.getBulk(['app:k', 'app:left', 'other:left', 'app:tmp/x'])).toEqual([
      1,
      'L',
      null,
      null,
    ]);
    expect<unknown>(await seeded.getBulk(['app:k', 'app:tmp/x'])).toEqual([1, 2]);
    // A read-through from storage fills the cache under the prefixed key.
    await storage.set('app:cold', 3);
    expect<unknown>(await store.get('cold')).toBe(3);
    let filled: unknown = null;
    for (let i = 0; i < 100 && filled !== 3; i++) {
      await sleep(10);
      filled = await seeded.get('app:cold');
    }
    expect(filled).toBe(3);
    await store.delete('k');
    await store.flush(2000);
    expect<unknown>(await storage.get('app:k')).toBeNull();
    // Errors name the keys as the caller wrote them.
    storage.down = true;
    await store.set('lost', 1);
    await store.close();
    const unflushed = errors.find((e) => e.code === 'UNFLUSHED');
    expect(unflushed?.details.keys).toEqual(['lost']);
    await seeded.close();
  });

  it('keys under storageExclusionPrefixes never reach storage', async () => {
    const { store, storage } = setup({ storageExclusionPrefixes: ['tmp/', 'session-'] });
    await store.set('tmp/x', 1);
    await store.set('session-9', 2);
    await store.set('kept', 3);
    await store.flush();
    expect<unknown>(await storage.getBulk(['tmp/x', 'session-9', 'kept'])).toEqual([null, null, 3]);
    storage.reads = 0;
    await store.get('tmp/never');
    expect(storage.reads).toBe(0);
    await store.close();
  });

  it('a key excluded from storage is written to and deleted from the cache alone, and fails with it', async () => {
    const { store, storage, l1 } = setup({ storageExclusionPrefixes: ['tmp/'] });
    await store.set('tmp/x', { n: 1 }, { ttl: 60_000 });
    expect<unknown>(await l1.get('tmp/x')).toEqual({ n: 1 });
    expect<unknown>(await store.get('tmp/x')).toEqual({ n: 1 });
    await store.delete('tmp/x');
    expect<unknown>(await l1.get('tmp/x')).toBeNull();
    expect(store.stats().tiered.queue.enqueued).toBe(0);
    await l1.close();
    await expectCode(store.set('tmp/y', 2), 'CLOSED');
    await store.flush();
    expect<unknown>(await storage.get('tmp/y')).toBeNull();
    await store.close();
  });

  it('cache down: the write fails by default, or goes through to storage when configured', async () => {
    const failing = setup();
    await failing.store.whenReady();
    await failing.l1.close();
    await expectCode(failing.store.set('k', 1), 'CLOSED');
    await failing.store.flush();
    expect<unknown>(await failing.storage.get('k')).toBeNull();
    await failing.store.close();

    const through = setup({ onCacheFailure: 'write-through' });
    await through.store.whenReady();
    await through.l1.close();
    await through.store.set('k', 2);
    expect<unknown>(await through.storage.get('k')).toBe(2);
    await through.store.close();
  });

  it('storage down: writes keep being acknowledged, errors are emitted, the lag grows, recovery drains the queue', async () => {
    const { store, storage, errors } = setup();
    storage.down = true;
    for (let i = 0; i < 50; i++) await store.set(`k${i}`, i);
    await eventually(() => errors.length > 0, 2000, 'an error event');
    expect(errors[0]!.message).toContain('will retry');
    expect(errors[0]!.details.keys).toEqual(jasmine.any(Array));
    await sleep(100);
    expect(store.stats().tiered.storageLagMs).toBeGreaterThanOrEqual(100);
    expect(store.stats().tiered.queue.depth).toBe(50);
    storage.down = false;
    await store.flush(5000);
    expect(store.stats().tiered.storageLagMs).toBe(0);
    const values = await storage.getBulk(Array.from({ length: 50 }, (_, i) => `k${i}`));
    values.forEach((v, i) => expect<unknown>(v).toBe(i));
    await store.close();
  });

  it('a full queue refuses with QUEUE_FULL before touching the caches (refuse policy)', async () => {
    const { store, storage, l1 } = setup({ writeBehind: { maxEntries: 3, whenFull: 'refuse' } });
    storage.down = true;
    for (let i = 0; i < 3; i++) await store.set(`k${i}`, i);
    await expectCode(store.set('k3', 3), 'QUEUE_FULL');
    expect<unknown>(await l1.get('k3')).toBeNull();
    storage.down = false;
    await store.flush(5000);
    await store.set('k3', 3);
    await store.close();
  });

  it('a full queue applies backpressure (wait policy), bounded by the operation timeout', async () => {
    const { store, storage } = setup({
      operationTimeoutMs: 300,
      writeBehind: { maxEntries: 2, whenFull: 'wait', retryInitialDelayMs: 10, retryMaxDelayMs: 20 },
    });
    storage.down = true;
    await store.set('a', 1);
    await store.set('b', 2);
    await expectCode(store.set('c', 3), 'TIMEOUT');
    const waiting = store.set('d', 4);
    await sleep(50);
    storage.down = false;
    await waiting;
    await store.flush(5000);
    expect<unknown>(await storage.getBulk(['a', 'b', 'c', 'd'])).toEqual([1, 2, null, 4]);
    await store.close();
  });

  it('close() flushes within its timeout and reports what it could not write as UNFLUSHED', async () => {
    const { store, storage, errors } = setup({ closeTimeoutMs: 300 });
    await store.set('ok', 1);
    await store.flush();
    storage.down = true;
    await store.set('lost-1', 1);
    await store.set('lost-2', 2);
    await store.close();
    const unflushed = errors.find((e) => e.code === 'UNFLUSHED');
    expect(unflushed).toBeDefined();
    expect((unflushed!.details.keys as string[]).sort()).toEqual(['lost-1', 'lost-2']);
  });

  it('flush() is bounded: TIMEOUT while storage stays down', async () => {
    const { store, storage } = setup();
    storage.down = true;
    await store.set('k', 1);
    await expectCode(store.flush(200), 'TIMEOUT');
    storage.down = false;
    await store.flush(5000);
    await store.close();
  });

  it('property: after flush(), storage equals a model of every acknowledged set/delete, despite injected failures', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.constantFrom('a', 'b', 'c', 'd'),
        value: fc.integer(),
      }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
      fc.record({ kind: fc.constant('get' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
      fc.record({ kind: fc.constant('evict' as const) }),
      fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 60 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (ops, seed) => {
          const { store, storage, l1 } = setup({
            writeBehind: { batchSize: 3, concurrency: 2, retryInitialDelayMs: 1, retryMaxDelayMs: 5 },
          });
          storage.injectFaults(seed, 0.3, 3);
          const model = new Map<string, JsonValue>();
          const mismatches: string[] = [];
          const inFlight: Promise<unknown>[] = [];
          for (const o of ops) {
            if (o.kind === 'set' || o.kind === 'delete') {
              inFlight.push(issueWrite(store, model, o));
            } else if (o.kind === 'get') {
              const expected = model.get(o.key) ?? null;
              // Awaited: a read overlapping later writes may legitimately see them.
              const v = await store.get(o.key);
              if (JSON.stringify(v) !== JSON.stringify(expected))
                mismatches.push(`get ${o.key}: ${String(v)} != ${String(expected)}`);
            } else if (o.kind === 'evict') {
              l1.store.clear();
            } else {
              await sleep(o.ms); // lets the queue dispatch between writes
            }
          }
          await Promise.all(inFlight);
          await store.flush(10_000);
          storage.failureRate = 0;
          storage.latency = null;
          for (const key of ['a', 'b', 'c', 'd']) {
            const stored = await storage.get(key);
            if (JSON.stringify(stored) !== JSON.stringify(model.get(key) ?? null))
              mismatches.push(`storage ${key}: ${String(stored)}`);
          }
          await store.close();
          // Thrown (not expect()ed) so fast-check sees the failure and shrinks it to a minimal case.
          if (mismatches.length > 0) throw new Error(mismatches.join('; '));
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);

  it('reports configuration mistakes with CONFIG naming the field', () => {
    const storage = new FlakyStorage();
    expect(field(() => new TieredStore({ caches: [], storage }))).toBe('caches');
    expect(field(() => new TieredStore({ caches: [new MemoryCache()], storage: undefined as never }))).toBe(
      'storage',
    );
    expect(
      field(() => new TieredStore({ caches: [new MemoryCache()], storage, writeMode: 'later' as never })),
    ).toBe('writeMode');
    expect(
      field(() => new TieredStore({ caches: [new MemoryCache()], storage, writeBehind: { batchSize: 0 } })),
    ).toBe('writeBehind.batchSize');
    void storage.close();
  });
});

/**
 * A journaling memory cache that keeps its marks as Redis does (key → token and op, cleared only
 * while the token is unchanged), and can hold or refuse its plain writes: the crash-safety rule
 * under test is that a cached value not yet in storage always has a mark.
 */
class MarkingMemoryCache extends JournalingMemoryCache {
  readonly marks = new Map<string, string>();
  journaledWrites = 0;
  /** While set, writes wait for it (after their marks are written, as in one Redis script). */
  holdWrites: Promise<void> | null = null;
  failWrites = false;
  /** Every write waits this long (the same for all, so writes still land in issue order). */
  delayMs = 0;

  override setJournaled(
    key: string,
    value: JsonValue,
    options: { version?: number; ttl?: number; token: string },
  ): Promise<void> {
    this.journaledWrites++;
    this.marks.set(key, `${options.token}|set`);
    return super.setJournaled(key, value, options);
  }

  override deleteJournaled(key: string, options: { token: string }): Promise<void> {
    this.journaledWrites++;
    this.marks.set(key, `${options.token}|delete`);
    return super.deleteJournaled(key);
  }

  override clearJournal(_journal: string, entries: readonly { key: string; token: string }[]): Promise<void> {
    for (const { key, token } of entries) {
      if (this.marks.get(key) === `${token}|set` || this.marks.get(key) === `${token}|delete`)
        this.marks.delete(key);
    }
    return Promise.resolve();
  }

  protected override async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    await this.gate();
    return super._set(key, record, ttl);
  }

  protected override async _delete(key: string): Promise<void> {
    await this.gate(); // the same as sets: writes of a key land in issue order
    return super._delete(key);
  }

  private async gate(): Promise<void> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.holdWrites) await this.holdWrites;
    if (this.failWrites) throw new Error('cache write refused');
  }
}

/** Sends the store's queued writes to storage and holds them there, in flight, until `release()`. */
async function holdInFlight(
  store: TieredStore,
  storage: FlakyStorage,
): Promise<{ release: () => void; flushed: Promise<void> }> {
  const calls = storage.writeCalls;
  const release = storage.holdWrites();
  const flushed = store.flush(5000);
  await eventually(() => storage.writeCalls > calls, 1000, 'a storage write in flight');
  return { release, flushed };
}

/** Waits for a flush, then a moment more for what the queue does once its writes are in storage. */
async function settled(flushing: Promise<void>): Promise<void> {
  await flushing;
  await sleep(10);
}

/** A promise and the function that resolves it. */
function held(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe('TieredStore journal marks (crash safety)', () => {
  function markingSetup(writeBehind: Partial<WriteBehindOptions> = {}): {
    cache: MarkingMemoryCache;
    storage: FlakyStorage;
    store: TieredStore;
  } {
    const cache = new MarkingMemoryCache();
    const storage = new FlakyStorage({ logger: quiet });
    const store = new TieredStore({
      caches: [cache],
      storage,
      logger: quiet,
      // Only flush() sends writes to storage; marks go once their writes are there (see below for
      // marks kept for rides).
      writeBehind: { writeDelayMs: 60_000, markRetentionMs: 0, ...writeBehind },
    });
    return { cache, storage, store };
  }

  it('a key rewritten while its write is in flight rides that mark: journaled once per dirty period, and the mark outlives the write it came with', async () => {
    const { cache, storage, store } = markingSetup();
    await store.set('k', 1);
    expect(cache.journaledWrites).toBe(1);
    const mark = cache.marks.get('k');
    expect(mark).toMatch(/\|set$/);
    const { release: releaseStorage, flushed: firstFlush } = await holdInFlight(store, storage);
    await store.set('k', 2); // rides the in-flight write's mark: a plain cache write
    await store.set('k', 3);
    expect(cache.journaledWrites).toBe(1);
    releaseStorage();
    await settled(firstFlush);
    expect<unknown>(await storage.get('k')).toBe(1);
    // Storage has 1, the cache 3: the mark must stay, carried by the pending write of 3.
    expect(cache.marks.get('k')).toBe(mark);
    expect(store.stats().tiered.queue.depth).toBe(1);
    await settled(store.flush(5000));
    expect<unknown>(await storage.get('k')).toBe(3);
    expect(cache.marks.has('k')).toBe(false);
    // A write after the key is clean starts a new dirty period with a mark of its own.
    await store.set('k', 4);
    expect(cache.journaledWrites).toBe(2);
    expect(cache.marks.get('k')).not.toBe(mark);
    await settled(store.flush(5000));
    expect<unknown>(await storage.get('k')).toBe(4);
    expect(cache.marks.size).toBe(0);
    await store.close();
  });

  it('a write in flight that lands while a cache write riding its mark is under way keeps the mark until that write is queued', async () => {
    const { cache, storage, store } = markingSetup();
    await store.set('k', 1);
    const mark = cache.marks.get('k');
    const { release: releaseStorage, flushed: firstFlush } = await holdInFlight(store, storage);
    const cacheWrite = held();
    cache.holdWrites = cacheWrite.promise;
    const riding = store.set('k', 2); // rides the in-flight mark; its cache write is held
    releaseStorage();
    await settled(firstFlush);
    expect<unknown>(await storage.get('k')).toBe(1);
    expect(cache.marks.get('k')).withContext('cleared under a write relying on it').toBe(mark);
    cache.holdWrites = null;
    cacheWrite.release();
    await riding;
    await sleep(10);
    expect(cache.marks.get('k')).withContext('cleared though a pending write carries it').toBe(mark);
    expect(cache.journaledWrites).toBe(1);
    await settled(store.flush(5000));
    expect<unknown>(await storage.get('k')).toBe(2);
    expect(cache.marks.size).toBe(0);
    await store.close();
  });

  it('when the only write riding a landed mark fails, the mark is cleared and storage keeps the acknowledged value', async () => {
    const { cache, storage, store } = markingSetup();
    await store.set('k', 1);
    const { release: releaseStorage, flushed: firstFlush } = await holdInFlight(store, storage);
    const cacheWrite = held();
    cache.holdWrites = cacheWrite.promise;
    cache.failWrites = true;
    const riding = store.set('k', 2);
    releaseStorage();
    await settled(firstFlush);
    expect(cache.marks.has('k')).toBe(true); // the ride is still under way
    cache.holdWrites = null;
    cacheWrite.release();
    await expectCode(riding, 'BACKEND');
    await sleep(10);
    // Nothing is left that relies on the mark: 1 is in storage, 2 was never acknowledged.
    expect(cache.marks.has('k')).toBe(false);
    expect(store.stats().tiered.queue.depth).toBe(0);
    cache.failWrites = false;
    expect<unknown>(await store.get('k')).toBe(1);
    await store.close();
  });

  it('a write in flight that fails passes its mark to the newer write that rode it, which storage then gets', async () => {
    const { cache, storage, store } = markingSetup();
    await store.set('k', 1);
    const mark = cache.marks.get('k');
    storage.down = true;
    const { release: releaseStorage, flushed: firstFlush } = await holdInFlight(store, storage);
    await store.set('k', 2); // rides the in-flight mark
    releaseStorage(); // ...and the write of 1 fails
    await eventually(() => store.stats().tiered.queue.failedBatches === 1, 1000, 'the failed batch');
    expect(cache.marks.get('k')).toBe(mark);
    storage.down = false;
    await firstFlush;
    await settled(store.flush(5000));
    expect<unknown>(await storage.get('k')).toBe(2);
    expect(cache.marks.size).toBe(0);
    expect(cache.journaledWrites).toBe(1);
    await store.close();
  });

  it('property: whenever every issued write is acknowledged, a key whose cache differs from storage has a mark saying so; after flush both hold the last write', async () => {
    // The crash-safety rule, checked at random points while storage writes (failing at random,
    // completing out of order) land under a stream of rewrites riding pending and in-flight marks:
    // a process killed there would leave the next one a mark for every key storage lacks.
    const keys = ['a', 'b', 'c'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom(...keys), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...keys) }),
      fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('check' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 80 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom(0, 3, 30),
        async (ops, seed, cacheDelayMs, markRetentionMs) => {
          const cache = new MarkingMemoryCache();
          cache.delayMs = cacheDelayMs;
          const storage = new FlakyStorage({ logger: quiet });
          const store = new TieredStore({
            caches: [cache],
            storage,
            logger: quiet,
            writeBehind: {
              writeDelayMs: 0,
              lingerMs: 1,
              batchSize: 2,
              concurrency: 2,
              retryInitialDelayMs: 1,
              retryMaxDelayMs: 5,
              markRetentionMs,
            },
          });
          store.on('error', () => undefined); // injected storage failures
          storage.injectFaults(seed, 0.3, 3);
          const problems: string[] = [];
          const check = (when: string): void => {
            for (const key of keys) {
              const cached = cache.store.get(key);
              const stored = storage.store.get(key);
              const same =
                cached && stored
                  ? Buffer.from(cached.data).equals(Buffer.from(stored.data))
                  : cached === stored;
              if (same) continue;
              const mark = cache.marks.get(key);
              if (!mark?.endsWith(cached ? '|set' : '|delete')) {
                problems.push(
                  `${when}: ${key} is ${cached ? 'set' : 'deleted'} in the cache, not in storage; mark ${mark}`,
                );
              }
            }
          };
          const model = new Map<string, JsonValue>(); // every write is acknowledged (no cache failures)
          let issued: Promise<void>[] = [];
          for (const [i, o] of ops.entries()) {
            if (o.kind === 'set' || o.kind === 'delete') issued.push(issueWrite(store, model, o));
            else if (o.kind === 'pause') await sleep(o.ms);
            else {
              await Promise.all(issued);
              issued = [];
              check(`step ${i}`);
            }
          }
          await Promise.all(issued);
          check('end');
          await store.flush(10_000);
          check('after flush'); // marks kept for rides are of keys storage has
          storage.failureRate = 0;
          for (const key of keys) {
            // Writes issued together, some journaled and some riding a mark, land in call order.
            const expected = JSON.stringify(model.get(key) ?? null);
            const [cached, stored] = [await cache.get(key), await storage.get(key)].map((v) =>
              JSON.stringify(v),
            );
            if (cached !== expected || stored !== expected)
              problems.push(`${key}: cache ${cached}, storage ${stored}, last write ${expected}`);
          }
          await store.close();
          if (cache.marks.size > 0)
            problems.push(`marks left after close: ${[...cache.marks.keys()].join(', ')}`);
          if (problems.length > 0) throw new Error(problems.join('; '));
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it('a write issued while a journaled write of the other operation is under way does not ride the mark that write replaces', async () => {
    for (const queued of ['pending', 'in flight'] as const) {
      const { cache, storage, store } = markingSetup();
      await store.set('k', 1);
      let releaseStorage = (): void => undefined;
      let firstFlush: Promise<void> = Promise.resolve();
      if (queued === 'in flight')
        ({ release: releaseStorage, flushed: firstFlush } = await holdInFlight(store, storage));
      const cacheWrites = held();
      cache.holdWrites = cacheWrites.promise;
      const deleted = store.delete('k'); // journaled: its mark says delete, replacing the set's
      const set = store.set('k', 2); // must not ride the set's mark, which is being replaced
      cache.holdWrites = null;
      cacheWrites.release();
      await Promise.all([deleted, set]);
      expect(cache.marks.get('k'))
        .withContext(queued)
        .toMatch(/\|set$/);
      expect(cache.journaledWrites).withContext(queued).toBe(3);
      releaseStorage();
      await firstFlush;
      await store.flush(5000);
      await sleep(10);
      expect<unknown>(await storage.get('k'))
        .withContext(queued)
        .toBe(2);
      expect(cache.marks.size).withContext(queued).toBe(0);
      await store.close();
    }
  });

  it('after a journaled write fails, the next write of its key journals again (the failed one may have replaced the mark)', async () => {
    const { cache, storage, store } = markingSetup();
    await store.set('k', 1);
    cache.failWrites = true;
    await expectCode(store.delete('k'), 'BACKEND'); // its mark is written; the delete is refused
    cache.failWrites = false;
    await store.set('k', 3);
    expect(cache.journaledWrites).toBe(3);
    expect(cache.marks.get('k')).toMatch(/\|set$/);
    await store.set('k', 4); // rides the new mark again
    expect(cache.journaledWrites).toBe(3);
    await store.flush(5000);
    expect<unknown>(await storage.get('k')).toBe(4);
    await store.close();
  });

  it('a key rewritten soon after its write reached storage rides the kept mark; the mark goes a sweep or two later', async () => {
    const { cache, storage, store } = markingSetup({ markRetentionMs: 100 });
    await store.set('k', 1);
    await store.flush(5000);
    expect<unknown>(await storage.get('k')).toBe(1);
    const mark = cache.marks.get('k');
    expect(mark).toMatch(/\|set$/); // kept: storage has 1, and a rewrite may ride it
    expect(store.stats().tiered.queue.retainedMarks).toBe(1);
    await store.set('k', 2);
    expect(cache.journaledWrites).toBe(1);
    await store.flush(5000);
    expect<unknown>(await storage.get('k')).toBe(2);
    expect(cache.marks.get('k')).toBe(mark);
    await eventually(() => !cache.marks.has('k'), 1000, 'the kept mark to go');
    expect(store.stats().tiered.queue.retainedMarks).toBe(0);
    await store.set('k', 3); // a new dirty period: a mark of its own
    expect(cache.journaledWrites).toBe(2);
    expect(cache.marks.get('k')).not.toBe(mark);
    await store.close();
  });

  it('a kept mark is not released while a write riding it is under way, nor while a pending write carries it', async () => {
    const { cache, storage, store } = markingSetup({ markRetentionMs: 20 });
    await store.set('k', 1);
    await store.flush(5000);
    const mark = cache.marks.get('k');
    const cacheWrite = held();
    cache.holdWrites = cacheWrite.promise;
    const riding = store.set('k', 2); // rides the kept mark; its cache write is held
    await sleep(80); // several sweeps
    expect(cache.marks.get('k')).withContext('released under a ride').toBe(mark);
    cache.holdWrites = null;
    cacheWrite.release();
    await riding;
    await sleep(80); // the pending write of 2 carries the mark
    expect(cache.marks.get('k')).withContext('released though a pending write carries it').toBe(mark);
    expect(cache.journaledWrites).toBe(1);
    await store.flush(5000);
    expect<unknown>(await storage.get('k')).toBe(2);
    await eventually(() => !cache.marks.has('k'), 1000, 'the kept mark to go');
    await store.close();
  });

  it('close() releases kept marks, and sets with a TTL keep none', async () => {
    const { cache, store } = markingSetup({ markRetentionMs: 60_000 });
    await store.set('kept', 1);
    await store.set('timed', 1, { ttl: 60_000 });
    await store.flush(5000);
    expect([...cache.marks.keys()]).toEqual(['kept']);
    await store.close();
    expect(cache.marks.size).toBe(0);
  });

  it('a delete does not ride a set in flight (its mark must say delete)', async () => {
    const { cache, storage, store } = markingSetup();
    await store.set('k', 1);
    const setMark = cache.marks.get('k');
    const { release: releaseStorage, flushed: firstFlush } = await holdInFlight(store, storage);
    await store.delete('k');
    expect(cache.journaledWrites).toBe(2);
    const deleteMark = cache.marks.get('k');
    expect(deleteMark).toMatch(/\|delete$/);
    releaseStorage();
    await settled(firstFlush);
    expect(cache.marks.get('k')).withContext(`the set's mark was ${setMark}`).toBe(deleteMark);
    await settled(store.flush(5000));
    expect<unknown>(await storage.get('k')).toBeNull();
    expect(cache.marks.size).toBe(0);
    await store.close();
  });
});
