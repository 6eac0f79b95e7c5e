import { randomBytes } from 'node:crypto';
import type { Codec } from '../codec';
import { BaseConnector } from '../connector/base-connector';
import {
  DIRECT_WRITE,
  isDirectWritable,
  report,
  type DirectWritable,
  type WriteDone,
} from '../connector/direct-write';
import { acceptsEncodedValues, encodedValue } from '../connector/encoded-value';
import { writeOptions, type ReadRecord, type WriteRecord } from '../connector/records';
import type { ConnectorOptions } from '../config/options';
import { ConnectorError } from '../errors';
import type { Connector, Entry, JsonValue } from '../types';
import { isJournalingCache, type JournalEntry, type JournalingCache } from './journal';
import { SingleFlight } from './single-flight';
import {
  WRITE_BEHIND_DEFAULTS,
  ReservedWrite,
  type AcknowledgingWrite,
  WriteBehindQueue,
  type QueuedWrite,
  type Reservation,
  type WriteBehindOptions,
  type WriteBehindStats,
  hasExpired,
} from './write-behind-queue';

export interface TieredStoreOptions extends Omit<ConnectorOptions, 'url' | 'masterUrl'> {
  /** Cache tiers, fastest first (e.g. memory, then Redis). At least one. */
  caches: Connector[];
  /** The durable tier. */
  storage: Connector;
  /** `'write-behind'` (acknowledge after the caches) or `'write-through'` (also await storage). */
  writeMode?: 'write-behind' | 'write-through';
  /** Keys starting with any of these never reach storage (deepstream's storageExclusionPrefixes). */
  storageExclusionPrefixes?: string[];
  /** When a cache write fails: `'fail'` the write (the cache is the source of truth) or `'write-through'` to storage. */
  onCacheFailure?: 'fail' | 'write-through';
  /** Write-behind queue tuning (see WRITE_BEHIND_DEFAULTS). */
  writeBehind?: Partial<WriteBehindOptions>;
  /** Name of the dirty-key journal kept by a journaling cache (Redis) for crash safety. */
  journalName?: string;
  /** How long close() tries to flush before reporting what it could not write, ms. */
  closeTimeoutMs?: number;
  /** Default bound for flush(), ms. */
  flushTimeoutMs?: number;
  /** TTL given to cache fills after a storage read, ms (0: none). */
  readFillTtl?: number;
  /** Close the tiers when the store closes. Default true. */
  closeTiers?: boolean;
}

/**
 * A write waiting for queue room gives up this long before its operation's deadline, so that
 * its own TIMEOUT, not the operation's, ends the wait (see waitForRoom).
 */
const ROOM_WAIT_MARGIN_MS = 2;

export const TIERED_STORE_DEFAULTS = {
  writeMode: 'write-behind',
  storageExclusionPrefixes: [] as string[],
  onCacheFailure: 'fail',
  writeBehind: WRITE_BEHIND_DEFAULTS,
  journalName: 'connector-kit:tiered-journal',
  closeTimeoutMs: 10_000,
  flushTimeoutMs: 30_000,
  readFillTtl: 0,
  closeTiers: true,
} as const;

export interface TierStats {
  name: string;
  hits: number;
  misses: number;
  errors: number;
}

export interface TieredStoreStats {
  tiers: TierStats[];
  queue: WriteBehindStats;
  /** Age of the oldest acknowledged write not yet in storage (0 when storage is up to date). */
  storageLagMs: number;
  storageWrites: number;
  storageWriteErrors: number;
  readThroughFills: number;
  fillsSkippedForNewerWrite: number;
  journalRecovered: number;
}

/**
 * Caches in front of one storage, itself a Connector: writes are acknowledged once every cache
 * has them and reach storage behind them (write-behind, ordered, coalesced, batched, retried);
 * reads go cache first, then pending writes, then storage, filling the caches above a hit.
 */
export class TieredStore extends BaseConnector {
  readonly caches: readonly Connector[];
  readonly storage: Connector;
  private readonly writeMode: 'write-behind' | 'write-through';
  private readonly exclusions: readonly string[];
  private readonly onCacheFailure: 'fail' | 'write-through';
  private readonly queue: WriteBehindQueue;
  private readonly journalCache: JournalingCache | null;
  private readonly journalName: string;
  private readonly closeTimeoutMs: number;
  private readonly flushTimeoutMs: number;
  private readonly readFillTtl: number;
  private readonly closeTiers: boolean;
  private readonly storageReads = new SingleFlight<Entry | null>();
  /**
   * Sequence of the last write per key, so a read-through fill never overwrites a write made
   * after the read began. Bounded: when cleared, unknown keys count as written at the clear.
   */
  private readonly lastWrite = new Map<string, number>();
  private writeSeq = 0;
  /** Reads in progress: writes need noting in `lastWrite` only while one may be overtaken. */
  private readsInFlight = 0;
  private forgottenBefore = 0;
  private readonly tokenPrefix = randomBytes(6).toString('hex');
  private tokenCounter = 0;
  private readonly tierStats: TierStats[];
  /** Per tier (caches, then storage): whether it stores our encoded bytes as they are. */
  private readonly tierTakesBytes: boolean[];
  /** Per cache tier: the shortcut for writes, where the tier offers one (see direct-write.ts). */
  private readonly directCaches: (DirectWritable | null)[];
  /**
   * The one cache's shortcut when plain writes may take it without a promise: a single kit cache
   * and `onCacheFailure: 'fail'` (with 'write-through', a failed cache write goes on to storage).
   */
  private readonly shortcutTier: DirectWritable | null;
  private readonly counters = {
    storageWrites: 0,
    storageWriteErrors: 0,
    readThroughFills: 0,
    fillsSkippedForNewerWrite: 0,
    journalRecovered: 0,
  };

  constructor(options: TieredStoreOptions) {
    const caches = options?.caches;
    const storage = options?.storage;
    if (!Array.isArray(caches) || caches.length === 0) {
      throw new ConnectorError('CONFIG', 'TieredStore needs at least one cache tier in options.caches', {
        details: { field: 'caches' },
      });
    }
    if (!storage || typeof storage.get !== 'function') {
      throw new ConnectorError('CONFIG', 'TieredStore needs a storage connector in options.storage', {
        details: { field: 'storage' },
      });
    }
    // Every option is checked before super(), which schedules the connection: a constructor
    // that throws must not leave a half-built store connecting in the background.
    const writeMode = oneOf(
      options.writeMode,
      ['write-behind', 'write-through'],
      TIERED_STORE_DEFAULTS.writeMode,
      'writeMode',
    );
    const onCacheFailure = oneOf(
      options.onCacheFailure,
      ['fail', 'write-through'],
      TIERED_STORE_DEFAULTS.onCacheFailure,
      'onCacheFailure',
    );
    const queueOptions = WriteBehindQueue.checkOptions(options.writeBehind);
    const tiers = [...caches, storage];
    // Tiers see the store's prefixed keys, so the prefix counts against their key limit.
    const prefixBytes = Buffer.byteLength(typeof options.prefix === 'string' ? options.prefix : '');
    super(options as ConnectorOptions, {
      name: 'tiered',
      version: '0.1.0',
      supports: {
        ttl: tiers.every((t) => t.supports.ttl),
        ttlGranularityMs: Math.max(...tiers.map((t) => t.supports.ttlGranularityMs)),
        bulk: false,
        compareAndSet: false,
        maxKeyBytes: Math.min(...tiers.map((t) => t.supports.maxKeyBytes)) - prefixBytes,
        maxValueBytes: Math.min(...tiers.map((t) => t.supports.maxValueBytes)),
        persistent: storage.supports.persistent,
      },
      // Writes enter every cache synchronously, in call order, and each tier keeps per-key order,
      // so no chain per key is needed here. Not with onCacheFailure 'write-through': a failed
      // cache write then goes straight to storage and must not overtake a later, queued write.
      preservesOrder: onCacheFailure === 'fail',
      // Keys arrive as the caller gave them; tiers get them prefixed (tierKey). The queue and the
      // maps key on the caller's string: no fresh concatenation to hash on every write.
      prefixesKeysItself: true,
    });
    this.caches = [...caches];
    this.storage = storage;
    this.writeMode = writeMode;
    this.onCacheFailure = onCacheFailure;
    this.exclusions = [
      ...(options.storageExclusionPrefixes ?? TIERED_STORE_DEFAULTS.storageExclusionPrefixes),
    ];
    this.journalName = options.journalName ?? TIERED_STORE_DEFAULTS.journalName;
    this.closeTimeoutMs = options.closeTimeoutMs ?? TIERED_STORE_DEFAULTS.closeTimeoutMs;
    this.flushTimeoutMs = options.flushTimeoutMs ?? TIERED_STORE_DEFAULTS.flushTimeoutMs;
    this.readFillTtl = options.readFillTtl ?? TIERED_STORE_DEFAULTS.readFillTtl;
    this.closeTiers = options.closeTiers ?? TIERED_STORE_DEFAULTS.closeTiers;
    this.journalCache = this.caches.find(isJournalingCache) ?? null;
    this.tierStats = tiers.map((t, i) => ({ name: `${i}:${t.name}`, hits: 0, misses: 0, errors: 0 }));
    this.queue = new WriteBehindQueue(
      {
        write: (batch) => this.writeBatchToStorage(batch),
        marksReleased: (writes) => this.clearJournal(writes),
        // (With onCacheFailure 'write-through' the failure path writes storage and invalidates.)
        cacheWriteFailed: (key) => {
          if (this.onCacheFailure === 'fail') this.invalidateCaches(key);
        },
        failed: (err, keys, givenUp) => {
          this.counters.storageWriteErrors += keys.length;
          this.reportError(
            new ConnectorError(
              'BACKEND',
              givenUp
                ? `Gave up writing ${keys.length} key(s) to storage after ${options.writeBehind?.maxAttempts} attempts: ${err.message}`
                : `Storage write of ${keys.length} key(s) failed, will retry: ${err.message}`,
              { cause: err, details: { keys, givenUp } },
            ),
          );
        },
      },
      queueOptions,
    );
    this.tierTakesBytes = tiers.map(acceptsEncodedValues);
    this.directCaches = this.caches.map((c) => (isDirectWritable(c) ? c : null));
    this.shortcutTier =
      this.caches.length === 1 && this.onCacheFailure === 'fail' ? this.directCaches[0]! : null;
    for (const tier of tiers) {
      // Tier errors surface through the store (tiers must not crash the process either).
      tier.on('error', (err: unknown) => this.reportError(err));
    }
  }

  // ---------------------------------------------------------------------------------------------

  protected async _open(): Promise<void> {
    await Promise.all([...this.caches, this.storage].map((t) => t.whenReady()));
    if (this.journalCache && this.writeMode === 'write-behind') await this.recoverJournal(this.journalCache);
  }

  protected async _close(): Promise<void> {
    const unwritten = await this.queue.close(this.closeTimeoutMs);
    if (unwritten.length > 0) {
      this.reportError(
        new ConnectorError(
          'UNFLUSHED',
          `Closed with ${unwritten.length} acknowledged write(s) not in storage` +
            (this.journalCache ? ' (they stay in the cache journal and are completed by the next open)' : ''),
          { details: { keys: unwritten } },
        ),
      );
    }
    if (this.closeTiers) await Promise.allSettled([...this.caches, this.storage].map((t) => t.close()));
  }

  /** Resolves when every write acknowledged before the call is in storage (TIMEOUT after `timeoutMs`). */
  flush(timeoutMs = this.flushTimeoutMs): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.queue.flush(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const s = this.queue.stats();
          reject(
            new ConnectorError(
              'TIMEOUT',
              `flush: ${s.depth} write(s) still not in storage after ${timeoutMs} ms`,
              {
                details: { depth: s.depth },
              },
            ),
          );
        }, timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  protected _get(key: string): Promise<ReadRecord | null> {
    this.readsInFlight++;
    return this.read(key).finally(() => this.readsInFlight--);
  }

  private async read(key: string): Promise<ReadRecord | null> {
    const readStart = this.writeSeq;
    const tierKey = this.tierKey(key);
    for (let i = 0; i < this.caches.length; i++) {
      const entry = await this.readTier(i, tierKey);
      if (entry) {
        this.fill(key, tierKey, entry, i, readStart);
        return entry;
      }
    }
    if (this.isExcluded(key)) return null;
    const queued = this.queue.peek(key);
    if (queued) return queuedRecord(queued);
    // Join an in-flight storage read only if no write of the key happened since it began.
    const entry = await this.storageReads.run(`${this.lastWriteOf(key)}:${key}`, () =>
      this.storage.getEntry(tierKey),
    );
    const stats = this.tierStats[this.caches.length]!;
    if (entry) stats.hits++;
    else stats.misses++;
    // A write acknowledged during the storage read wins over what storage returned.
    const raced = this.queue.peek(key);
    if (raced) return queuedRecord(raced);
    if (entry) this.fill(key, tierKey, entry, this.caches.length, readStart);
    return entry;
  }

  private async readTier(index: number, tierKey: string): Promise<Entry | null> {
    const stats = this.tierStats[index]!;
    try {
      const entry = await this.caches[index]!.getEntry(tierKey);
      if (entry) stats.hits++;
      else stats.misses++;
      return entry;
    } catch (err) {
      // A failing cache on the read path is skipped: the lower tiers still answer.
      stats.errors++;
      this.reportError(err);
      return null;
    }
  }

  /** Fills caches above `foundAt`, unless the key was written since the read began. */
  private fill(key: string, tierKey: string, entry: Entry, foundAt: number, readStart: number): void {
    if (foundAt === 0) return;
    if (this.lastWriteOf(key) > readStart) {
      this.counters.fillsSkippedForNewerWrite++;
      return;
    }
    const options = writeOptions(entry.version, this.readFillTtl);
    for (let i = foundAt - 1; i >= 0; i--) {
      const cache = this.caches[i]!;
      // Only-if-absent where the cache can do it atomically: another process may have written meanwhile.
      const write = cache.supports.compareAndSet
        ? cache.compareAndSet(tierKey, entry.value, { ...options, expectedVersion: null })
        : cache.set(tierKey, entry.value, options);
      this.counters.readThroughFills++;
      write.catch((err: unknown) => {
        if (!ConnectorError.is(err, 'CONFLICT')) this.reportError(err);
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  protected _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    const deadline = performance.now() + this.operationTimeoutMs;
    return promised((done) => this.write(key, record, ttl, done, deadline));
  }

  protected _delete(key: string): Promise<void> {
    const deadline = performance.now() + this.operationTimeoutMs;
    return promised((done) => this.write(key, null, 0, done, deadline));
  }

  /** `set` and `delete` come here (the store keeps order itself): no promise of their own. */
  protected override _write(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    done: WriteDone,
    deadline: number,
  ): void {
    this.write(key, record, ttl, done, deadline);
  }

  /**
   * A write, reported through `done`. The common case, write-behind with room in the queue, runs
   * without an async frame or a promise of its own: a tiered set should cost little more than the
   * cache write it waits for. A null record is a delete, here and in the helpers below.
   */
  private write(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    done: WriteDone,
    deadline: number,
  ): void {
    this.noteWrite(key);
    const toStorage = !this.isExcluded(key);
    // A key that never reaches storage (deepstream's transient records) is a plain cache write:
    // through the shortcut where it applies, with no queue and no async frame of its own.
    if (!toStorage && this.shortcutTier) {
      const listener = { writeSettled: done };
      if (this.shortcutTier[DIRECT_WRITE](this.tierKey(key), record, ttl, this.codec, listener)) return;
    }
    if (!toStorage || this.writeMode === 'write-through') {
      report(this.writeUnqueued(key, record, ttl, toStorage), done);
      return;
    }
    const bytes = WriteBehindQueue.sizeOf(key, record === null ? null : record.data);
    if (this.journalCache) {
      // The hot path: a key rewritten while its journaled write is queued (pending, or in flight
      // to storage) relies on that write's mark, so the cache write is a plain one: a hot key is
      // journaled once per dirty period. Room, ride and write come as one object, which the cache
      // write settles.
      const ridden = this.queue.rideWrite(key, record, ttl, bytes);
      if (ridden) {
        this.writeCachesFor(key, record, ttl, null, ridden, done);
        return;
      }
    }
    // Room is reserved before the caches are touched: a full queue delays or refuses the write
    // instead of leaving a cache ahead of a storage write that can never be queued.
    const reservation = this.queue.tryReserve(bytes);
    if (reservation) {
      this.writeBehind(key, record, ttl, reservation, done);
      return;
    }
    this.waitForRoom(key, record, ttl, bytes, done, deadline);
  }

  /**
   * A full queue: the write waits its turn (first come, first served), and gives up before its
   * operation's deadline. A write whose caller was already told TIMEOUT must never start: a
   * later write of its key may have been acknowledged meanwhile and must stay the newest.
   */
  private waitForRoom(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    bytes: number,
    done: WriteDone,
    deadline: number,
  ): void {
    const waitMs = Number.isFinite(deadline)
      ? Math.max(0, deadline - performance.now() - ROOM_WAIT_MARGIN_MS)
      : this.operationTimeoutMs;
    this.queue.reserveThen(bytes, waitMs, (err, reservation) => {
      if (err !== null) return done(err);
      if (performance.now() >= deadline) {
        this.queue.cancel(reservation!);
        return done(this.roomTimeout());
      }
      try {
        this.writeBehind(key, record, ttl, reservation!, done);
      } catch (thrown) {
        done(thrown); // a throw in writeBehind must fail the write, not hang it (done reports once)
      }
    });
  }

  private roomTimeout(): ConnectorError {
    return new ConnectorError(
      'TIMEOUT',
      'Timed out waiting for room in the write-behind queue (storage is behind)',
    );
  }

  private writeBehind(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    reservation: Reservation,
    done: WriteDone,
  ): void {
    // Room may have come after a wait, in which a pending journaled write of the key appeared.
    const ride = this.journalCache ? this.queue.ride(key, record === null ? 'delete' : 'set') : null;
    const token = ride ? ride.token : this.journalCache ? this.nextToken() : null;
    const write = new ReservedWrite(this.queue, reservation, ride, key, record, ttl, token);
    this.writeCachesFor(key, record, ttl, ride ? null : token, write, done);
  }

  /**
   * Writes the caches (journaled when `token` is given), tells the write's queue `ticket` how it
   * went, then the operation (`done`).
   */
  private writeCachesFor(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    token: string | null,
    ticket: AcknowledgingWrite,
    done: WriteDone,
  ): void {
    // The common case, one cache taking a plain write through its shortcut: the tier tells the
    // ticket, and the ticket, once the queue has the write, tells the operation. No promise.
    if (token === null && this.shortcutTier) {
      ticket.reportTo = done;
      if (this.shortcutTier[DIRECT_WRITE](this.tierKey(key), record, ttl, this.codec, ticket)) return;
      ticket.reportTo = null;
    }
    let cacheWrite: Promise<void>;
    try {
      cacheWrite = this.writeCaches(key, record, ttl, token);
    } catch (err) {
      // A tier that throws instead of rejecting must not keep the reservation or the ride.
      cacheWrite = Promise.reject(err);
    }
    const written = cacheWrite.then(
      () => ticket.writeSettled(null),
      (err: unknown) => {
        ticket.writeSettled(err);
        return this.afterCacheFailure(key, record, ttl, err, true);
      },
    );
    report(written, done);
  }

  /** Write-through, and keys excluded from storage: no queue. */
  private async writeUnqueued(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    toStorage: boolean,
  ): Promise<void> {
    try {
      await this.writeCaches(key, record, ttl, null);
    } catch (err) {
      return this.afterCacheFailure(key, record, ttl, err, toStorage);
    }
    if (toStorage) await this.writeStorageNow(key, record, ttl);
  }

  private async afterCacheFailure(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    err: unknown,
    toStorage: boolean,
  ): Promise<void> {
    if (!toStorage || this.onCacheFailure !== 'write-through') throw err;
    // The cache is down: make storage the source of truth and drop stale cache copies.
    await this.writeStorageNow(key, record, ttl);
    this.invalidateCaches(key);
    this.reportError(err);
  }

  private writeCaches(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    token: string | null,
  ): Promise<void> {
    if (this.caches.length === 1) return this.writeCache(0, key, record, ttl, token);
    return this.writeCacheTiers(key, record, ttl, token);
  }

  /** Several caches: one after the other, in order. */
  private async writeCacheTiers(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    token: string | null,
  ): Promise<void> {
    let written = 0;
    try {
      for (; written < this.caches.length; written++) {
        await this.writeCache(written, key, record, ttl, token);
      }
    } catch (err) {
      // Tiers written before the failure would now disagree with the rest: drop their copies.
      for (let i = 0; i < written; i++) this.caches[i]!.delete(this.tierKey(key)).catch(() => undefined);
      throw err;
    }
  }

  private writeCache(
    index: number,
    key: string,
    record: WriteRecord | null,
    ttl: number,
    token: string | null,
  ): Promise<void> {
    const cache = this.caches[index]!;
    const tierKey = this.tierKey(key);
    if (token !== null && cache === this.journalCache) {
      const journal = { journal: this.journalName, token };
      if (record === null) return this.journalCache.deleteJournaled(tierKey, journal);
      const options = { ...writeOptions(record.version, ttl), ...journal };
      return this.journalCache.setJournaled(tierKey, this.valueFor(index, record), options);
    }
    const tier = this.directCaches[index];
    const direct = tier ? viaShortcut(tier, tierKey, record, ttl, this.codec) : null;
    if (direct) return direct;
    // The tier's public set/delete, for a write its shortcut does not take.
    if (record === null) return cache.delete(tierKey);
    return cache.set(tierKey, this.valueFor(index, record), writeOptions(record.version, ttl));
  }

  /** What tier `index` is given to store: our bytes as they are where it accepts them, else a fresh value. */
  private valueFor(index: number, record: { data: Uint8Array | null }): JsonValue {
    const data = record.data!;
    return this.tierTakesBytes[index] ? encodedValue(data, this.codec) : this.codec.decode(data);
  }

  private invalidateCaches(key: string): void {
    for (const cache of this.caches) cache.delete(this.tierKey(key)).catch(() => undefined);
  }

  private async writeStorageNow(key: string, record: WriteRecord | null, ttl: number): Promise<void> {
    this.counters.storageWrites++;
    if (record === null) await this.storage.delete(this.tierKey(key));
    else
      await this.storage.set(
        this.tierKey(key),
        this.valueFor(this.caches.length, record),
        writeOptions(record.version, ttl),
      );
  }

  private async writeBatchToStorage(batch: readonly QueuedWrite[]): Promise<void> {
    this.counters.storageWrites += batch.length;
    const now = Date.now();
    // A TTL runs from the acknowledgement, not from the (later) storage write: storage gets
    // what is left of it, rounded up to its granularity, and a value that expired meanwhile is
    // deleted (the newest write is gone; an older stored value must not come back).
    const granularity = Math.max(1, this.storage.supports.ttlGranularityMs);
    const expired = (w: QueuedWrite): boolean => hasExpired(w, now);
    const left = (w: QueuedWrite): number =>
      w.expiresAt ? Math.ceil((w.expiresAt - now) / granularity) * granularity : 0;
    const deletes = batch.filter((w) => w.op === 'delete' || expired(w)).map((w) => this.tierKey(w.key));
    const setsByTtl = new Map<number, { key: string; value: JsonValue; version: number }[]>();
    for (const w of batch) {
      if (w.op !== 'set' || expired(w)) continue;
      const ttl = left(w);
      const group = setsByTtl.get(ttl) ?? [];
      group.push({
        key: this.tierKey(w.key),
        value: this.valueFor(this.caches.length, w),
        version: w.version,
      });
      setsByTtl.set(ttl, group);
    }
    const calls: Promise<void>[] = [];
    if (deletes.length > 0) calls.push(this.storage.deleteBulk(deletes));
    for (const [ttl, entries] of setsByTtl) calls.push(this.storage.setBulk(entries, ttl > 0 ? { ttl } : {}));
    const outcomes = await Promise.allSettled(calls);
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
  }

  // ---------------------------------------------------------------------------------------------
  // Crash safety

  /** Clears the marks of writes now in storage that nothing relies on (the queue says which). */
  private clearJournal(writes: readonly QueuedWrite[]): void {
    if (!this.journalCache) return;
    const entries = writes
      .filter((w) => w.token !== null)
      .map((w) => ({ key: this.tierKey(w.key), token: w.token! }));
    if (entries.length === 0) return;
    this.journalCache.clearJournal(this.journalName, entries).catch((err: unknown) => this.reportError(err));
  }

  /** Completes the storage writes a previous process acknowledged but did not finish. */
  private async recoverJournal(cache: JournalingCache): Promise<void> {
    const entries: JournalEntry[] = await cache.readJournal(this.journalName);
    for (const entry of entries) {
      // Journal keys are the tiers' (prefixed). A key outside our prefix is another store's:
      // its storage may not be ours, so it is left for that store to complete.
      if (!entry.key.startsWith(this.prefix)) continue;
      const key = entry.key.slice(this.prefix.length);
      if (this.isExcluded(key)) continue;
      let data: Uint8Array | null = null;
      let version = 0;
      if (entry.op === 'set') {
        const current = await cache.getEntry(entry.key);
        if (!current) {
          // Evicted or expired before it reached storage: nothing left to write. Say so.
          this.reportError(
            new ConnectorError(
              'BACKEND',
              `Journal names "${entry.key}" but the cache no longer holds it; storage keeps its older value`,
              {
                details: { key: entry.key },
              },
            ),
          );
          await cache.clearJournal(this.journalName, [entry]);
          continue;
        }
        data = this.codec.encode(current.value);
        version = current.version;
      }
      const reservation = await this.queue.reserve(WriteBehindQueue.sizeOf(key, data));
      this.queue.commit(reservation, {
        key,
        op: entry.op,
        data,
        version,
        // What is left of the value's TTL: storage must not keep for ever what the cache lets expire.
        ttl: entry.op === 'set' ? (entry.ttlMs ?? 0) : 0,
        token: entry.token,
      });
      this.counters.journalRecovered++;
    }
  }

  // ---------------------------------------------------------------------------------------------

  override stats(): ReturnType<BaseConnector['stats']> & { tiered: TieredStoreStats } {
    const queue = this.queue.stats();
    return {
      ...super.stats(),
      tiered: {
        tiers: this.tierStats.map((t) => ({ ...t })),
        queue,
        storageLagMs: queue.oldestPendingAgeMs,
        ...this.counters,
      },
    };
  }

  private isExcluded(key: string): boolean {
    // Every write asks: a loop, not `some` and a closure per call.
    for (const prefix of this.exclusions) if (key.startsWith(prefix)) return true;
    return false;
  }

  /** The key as the tiers store it: with the store's prefix (the store's own maps go without). */
  private tierKey(key: string): string {
    return this.prefix + key;
  }

  private lastWriteOf(key: string): number {
    return this.lastWrite.get(key) ?? this.forgottenBefore;
  }

  private noteWrite(key: string): void {
    ++this.writeSeq;
    // A read that starts later takes writeSeq as its start and sees this write in the caches:
    // only a read already under way needs to know the key's newest write.
    if (this.readsInFlight === 0) return;
    this.lastWrite.set(key, this.writeSeq);
    if (this.lastWrite.size > 100_000) {
      // Only reads in flight compare these; forgetting is safe because unknown keys then count
      // as written now, which merely skips the fills of reads that began before.
      this.lastWrite.clear();
      this.forgottenBefore = this.writeSeq;
    }
  }

  private nextToken(): string {
    return `${this.tokenPrefix}:${(this.tokenCounter++).toString(36)}`;
  }
}

/** What a queued write says about its key: absent once deleted or expired. */
function queuedRecord(write: QueuedWrite): ReadRecord | null {
  if (write.op === 'delete' || hasExpired(write, Date.now())) return null;
  // A copy: the queue overwrites a pending write's bytes in place when its key is rewritten.
  return { version: write.version, data: Buffer.from(write.data!) };
}

function oneOf<T extends string>(value: T | undefined, allowed: readonly T[], fallback: T, field: string): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) {
    throw new ConnectorError(
      'CONFIG',
      `Option ${field} must be one of ${allowed.join(', ')}, got ${String(value)}`,
      {
        details: { field },
      },
    );
  }
  return value;
}

/** The promise form of a write reported through a callback. */
function promised(start: (done: WriteDone) => void): Promise<void> {
  return new Promise((resolve, reject) => start((err) => (err === null ? resolve() : reject(err))));
}

/** A tier's shortcut write as a promise; null when the shortcut does not apply. */
function viaShortcut(
  tier: DirectWritable,
  key: string,
  record: WriteRecord | null,
  ttl: number,
  codec: Codec,
): Promise<void> | null {
  let taken = false;
  const written = promised((done) => {
    taken = tier[DIRECT_WRITE](key, record, ttl, codec, { writeSettled: done });
  });
  return taken ? written : null;
}
