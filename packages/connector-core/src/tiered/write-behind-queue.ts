import type { WriteDone, WriteListener } from '../connector/direct-write';
import { ConnectorError } from '../errors';

/** One storage write waiting behind the caches. */
export interface QueuedWrite {
  /** The storage key. */
  key: string;
  op: 'set' | 'delete';
  /** The serialised value (set only), taken when the write was acknowledged. */
  data: Uint8Array | null;
  version: number;
  /** TTL in ms as given to the caches (0: none). */
  ttl: number;
  /** When a set with a TTL expires (epoch ms), filled in by the queue at commit; 0: never. */
  expiresAt?: number;
  /** Journal token of the cache write this entry stands for, if the cache keeps a journal. */
  token: string | null;
}

/**
 * The queue's own copy of a write's bytes, which it may overwrite (see coalesce): the caller's
 * bytes may be held elsewhere (a memory cache tier keeps them). Node's pooled copy: an unpooled
 * one cost 82 more bytes of heap and about 260 more of RSS per pending entry (measured).
 */
function ownCopy(data: Uint8Array | null): Uint8Array | null {
  return data === null ? null : Buffer.from(data);
}

/** True when a queued set's TTL ran out by `now` (the newest write of its key is then gone). */
export function hasExpired(write: QueuedWrite, now: number): boolean {
  return !!write.expiresAt && write.expiresAt <= now;
}

interface Entry extends QueuedWrite {
  bytes: number;
  /** Sequence number of the OLDEST acknowledged write this entry covers (flush() waits on it). */
  firstSeq: number;
  enqueuedAt: number;
  attempts: number;
  /** Cache writes in progress that rely on this entry's journal mark (see ride()). */
  riders: number;
  /**
   * Set by the pump when it finds the entry due but ridden: no more rides, so a key rewritten
   * without pause still goes to storage once its rides in progress end (see rideable()).
   */
  ridesClosed: boolean;
  /**
   * In storage, but writes riding its mark were still under way: the mark is released (or kept
   * by the pending write it passed to) when the last of them ends (see endRideOn()).
   */
  markHeld: boolean;
}

/** A write that relies on the journal mark of a queued or written entry of its key (see ride()). */
export interface Ride {
  readonly token: string;
  /** @internal the entry ridden */
  readonly entry: object;
  settled: boolean;
}

/** What a write brings to the queue: its bytes and version; null for a delete. */
export interface WriteContent {
  readonly data: Uint8Array;
  readonly version: number;
}

/**
 * A write waiting for its cache write, and the listener that write tells how it went. One of
 * these is allocated per tiered set, so its fields are plain assignments in the constructors
 * (`declare`d): class-field definitions cost about 10 ns more per object in V8.
 */
export abstract class AcknowledgingWrite implements QueuedWrite, WriteListener {
  declare readonly key: string;
  declare readonly op: 'set' | 'delete';
  declare readonly data: Uint8Array | null;
  declare readonly version: number;
  declare readonly ttl: number;
  abstract readonly token: string | null;
  /**
   * Told how the write went once the queue has settled it, when the cache write reports to this
   * ticket directly (the tier's shortcut): the store's operation, with no promise in between.
   */
  declare reportTo: WriteDone | null;

  constructor(key: string, record: WriteContent | null, ttl: number) {
    this.key = key;
    this.op = record === null ? 'delete' : 'set';
    this.data = record === null ? null : record.data;
    this.version = record === null ? 0 : record.version;
    this.ttl = ttl;
    this.reportTo = null;
  }

  abstract writeSettled(err: unknown): void;
}

/**
 * A write riding the mark of the queued, journaled entry of its key (see rideWrite): its room in
 * the queue, its ride on the entry's mark and the write itself in one object, which is also the
 * listener of its cache write. The commonest tiered set (a hot key) allocates only this.
 */
export class RiddenWrite extends AcknowledgingWrite {
  declare readonly token: string;
  /** The entry ridden (the queue's own type). */
  declare private readonly entry: object;
  declare private readonly queue: WriteBehindQueue;
  /** Room taken in the queue. */
  declare readonly bytes: number;
  declare private done: boolean;

  constructor(
    queue: WriteBehindQueue,
    entry: object,
    key: string,
    record: WriteContent | null,
    ttl: number,
    bytes: number,
  ) {
    super(key, record, ttl);
    this.queue = queue;
    this.entry = entry;
    this.bytes = bytes;
    this.token = (entry as Entry).token!;
    this.done = false;
  }

  writeSettled(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.queue.settleRidden(this, this.entry, err !== null);
    this.reportTo?.(err);
  }
}

/**
 * A write with room reserved (and maybe a ride), waiting for its cache write; as the listener of
 * that write it commits itself to the queue, or gives back its room and ride when it failed.
 */
export class ReservedWrite extends AcknowledgingWrite {
  declare readonly token: string | null;
  declare private readonly queue: WriteBehindQueue;
  declare private readonly reservation: Reservation;
  declare private readonly ride: Ride | null;

  constructor(
    queue: WriteBehindQueue,
    reservation: Reservation,
    ride: Ride | null,
    key: string,
    record: WriteContent | null,
    ttl: number,
    token: string | null,
  ) {
    super(key, record, ttl);
    this.queue = queue;
    this.reservation = reservation;
    this.ride = ride;
    this.token = token;
    // A journaled write of its own: until it is in the queue, nothing may ride the older mark.
    if (token !== null && ride === null) queue.startMarking(key);
  }

  writeSettled(err: unknown): void {
    if (err === null) {
      this.queue.commit(this.reservation, this, this.ride);
    } else {
      this.queue.cancel(this.reservation);
      if (this.ride) this.queue.unride(this.ride);
      this.queue.cacheWriteFailed(this.key);
    }
    if (this.token !== null && this.ride === null) this.queue.endMarking(this.key, err !== null);
    this.reportTo?.(err);
  }
}

export interface WriteBehindOptions {
  /** Most queued writes (pending + in flight). */
  maxEntries: number;
  /** Most queued bytes (serialised values + keys). */
  maxBytes: number;
  /** When full: `'wait'` for room (bounded by the caller's timeout) or `'refuse'` with QUEUE_FULL. */
  whenFull: 'wait' | 'refuse';
  /** Most writes per storage call (through the storage's bulk methods). */
  batchSize: number;
  /** Most storage calls in flight at once. */
  concurrency: number;
  /**
   * How long a partial batch may wait for more writes, ms. Full batches leave at once. Fewer,
   * larger storage calls cost less CPU per write (an SDK request is ~0.5 ms of CPU), and the
   * acknowledgement never waits for this.
   */
  lingerMs: number;
  /**
   * How long an acknowledged write stays queued before it may go to storage, ms (0: as soon as
   * a batch forms). Rewrites of a key within the window coalesce, so a hot key costs storage at
   * most one write per window however often it changes. `flush()` and `close()` do not wait for
   * it. The price: storage lags the caches by up to this much.
   */
  writeDelayMs: number;
  /**
   * How long the journal mark of a write now in storage is kept, ms (between this and twice
   * this), so that a key rewritten soon after its storage write rides the mark instead of
   * journaling again: a key rewritten more often than this is marked once, not once per storage
   * write. Sets with a TTL are not kept. 0: clear marks as soon as their writes are in storage.
   * The price: a process that dies leaves the next one these keys to rewrite to storage (with
   * the values they already have there).
   */
  markRetentionMs: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** ± fraction of random jitter on each retry delay. */
  retryJitter: number;
  /** Attempts before a write is given up (reported as an 'error', never silently). Default unlimited. */
  maxAttempts: number;
}

export const WRITE_BEHIND_DEFAULTS: WriteBehindOptions = {
  maxEntries: 100_000,
  maxBytes: 64 * 1024 * 1024,
  whenFull: 'wait',
  batchSize: 100,
  concurrency: 4,
  lingerMs: 10,
  writeDelayMs: 1000,
  markRetentionMs: 1000,
  retryInitialDelayMs: 100,
  retryMaxDelayMs: 10_000,
  retryJitter: 0.2,
  maxAttempts: Number.POSITIVE_INFINITY,
};

export interface WriteBehindHooks {
  /** Writes one batch (unique keys) to storage; rejects if any of it may not have been written. */
  write(batch: readonly QueuedWrite[]): Promise<void>;
  /**
   * Called with writes now durably in storage whose journal marks nothing relies on any more (the
   * store clears them): not a write whose mark passed to a newer queued write of its key, nor one
   * with a cache write riding its mark still under way (it comes once that ends), nor one whose
   * mark is kept for rides (markRetentionMs: it comes with a later sweep, or at close()).
   */
  marksReleased?(writes: readonly QueuedWrite[]): void;
  /** Called when a batch failed (it will be retried) or writes were given up. */
  failed(err: ConnectorError, keys: string[], givenUp: boolean): void;
  /**
   * Called when a write's cache write failed, so the write was not queued. The cache may have
   * applied it all the same (a reply lost with its connection), which would leave the cache ahead
   * of what storage will get: the store drops the key from its caches.
   */
  cacheWriteFailed?(key: string): void;
}

export interface WriteBehindStats {
  depth: number;
  bytes: number;
  inFlight: number;
  enqueued: number;
  coalesced: number;
  written: number;
  batches: number;
  meanBatchSize: number;
  maxBatchSize: number;
  retries: number;
  failedBatches: number;
  givenUp: number;
  /** Age of the oldest write not yet in storage, ms (0 when empty): the storage lag. */
  oldestPendingAgeMs: number;
  /** Journal marks of written keys kept for rides (see markRetentionMs). */
  retainedMarks: number;
}

/** Admission ticket: room reserved before the caches are written, committed or cancelled after. */
export interface Reservation {
  readonly bytes: number;
  settled: boolean;
}

interface SpaceWaiter {
  bytes: number;
  resolve(reservation: Reservation): void;
  reject(err: ConnectorError): void;
}

interface FlushWaiter {
  seq: number;
  resolve(): void;
}

/**
 * The write-behind queue of the tiered store: per-key order (a key is never written twice at
 * once), coalescing (a newer write replaces a pending one), batching, bounded concurrency,
 * retry with exponential backoff and jitter, bounded size with a wait-or-refuse policy, and
 * flush(). Writes are never dropped silently.
 */
export class WriteBehindQueue {
  private readonly options: WriteBehindOptions;
  private readonly hooks: WriteBehindHooks;
  /** Pending writes in order of their oldest acknowledged write (Map keeps insertion order). */
  private readonly pending = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Entry>();
  /**
   * Keys with journaled cache writes under way that ride nothing (each writes a mark of its own,
   * replacing the key's older one), by count; or 0 when the last such write failed (its mark may
   * or may not have replaced the older one). No write of these keys may ride the older mark: the
   * key's next journaled write that succeeds ends that.
   */
  private readonly marking = new Map<string, number>();
  /**
   * Written entries whose marks are kept for rides (markRetentionMs), by key, in two generations:
   * each sweep releases the older one and ages the newer.
   */
  private retained = new Map<string, Entry>();
  private retiring = new Map<string, Entry>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private usedEntries = 0;
  private usedBytes = 0;
  private readonly spaceWaiters: SpaceWaiter[] = [];
  /**
   * Waiters given room, to be told on the next microtask, in the order they came. Until then no
   * other write may take room: a write of the same key issued meanwhile must start after them.
   */
  private granting: { waiter: SpaceWaiter; reservation: Reservation }[] = [];
  private readonly flushWaiters: FlushWaiter[] = [];
  private seq = 0;
  private activeBatches = 0;
  private consecutiveFailures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  /**
   * Before this time the oldest pending write is known not to be due, so a commit need not look
   * (dispatching only makes the oldest younger; a failed batch, which can make it older, resets it).
   */
  private notDueBefore = 0;
  private closed = false;
  private readonly counters = {
    enqueued: 0,
    coalesced: 0,
    written: 0,
    batches: 0,
    batchedWrites: 0,
    maxBatchSize: 0,
    retries: 0,
    failedBatches: 0,
    givenUp: 0,
  };

  constructor(hooks: WriteBehindHooks, options: Partial<WriteBehindOptions> = {}) {
    this.hooks = hooks;
    this.options = WriteBehindQueue.checkOptions(options);
  }

  /** Validates queue options (CONFIG naming the field) and fills in the defaults. */
  static checkOptions(options: Partial<WriteBehindOptions> = {}): WriteBehindOptions {
    const merged = { ...WRITE_BEHIND_DEFAULTS, ...options };
    for (const field of ['maxEntries', 'maxBytes', 'batchSize', 'concurrency'] as const) {
      const v = merged[field];
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new ConnectorError(
          'CONFIG',
          `writeBehind.${field} must be a positive integer, got ${String(v)}`,
          {
            details: { field: `writeBehind.${field}` },
          },
        );
      }
    }
    for (const field of ['lingerMs', 'writeDelayMs', 'markRetentionMs'] as const) {
      const v = merged[field];
      if (typeof v !== 'number' || !(v >= 0) || v === Number.POSITIVE_INFINITY) {
        throw new ConnectorError('CONFIG', `writeBehind.${field} must be a number >= 0, got ${String(v)}`, {
          details: { field: `writeBehind.${field}` },
        });
      }
    }
    if (merged.whenFull !== 'wait' && merged.whenFull !== 'refuse') {
      throw new ConnectorError('CONFIG', `writeBehind.whenFull must be 'wait' or 'refuse'`, {
        details: { field: 'writeBehind.whenFull' },
      });
    }
    return merged;
  }

  /** Bytes a write occupies in the queue. */
  static sizeOf(key: string, data: Uint8Array | null): number {
    return key.length * 2 + (data ? data.byteLength : 0) + 96;
  }

  /**
   * Reserves room for one write before the caches are touched, so a full queue delays or refuses
   * the write instead of leaving a cache ahead of a storage write that can never be queued.
   * A wait for room gives up with TIMEOUT after `waitMs` (the caller's operation timeout); the
   * timer exists only while waiting, not on the common path where room is free.
   */
  reserve(bytes: number, waitMs?: number): Promise<Reservation> {
    return new Promise((resolve, reject) =>
      this.reserveThen(bytes, waitMs, (err, reservation) => (err ? reject(err) : resolve(reservation!))),
    );
  }

  /**
   * `reserve` reporting to a callback, called synchronously when room is granted: writes that
   * waited start in the order they came, with nothing run in between (a promise reaction would
   * let a write issued meanwhile start before them).
   */
  reserveThen(
    bytes: number,
    waitMs: number | undefined,
    granted: (err: ConnectorError | null, reservation: Reservation | null) => void,
  ): void {
    if (this.closed) return granted(new ConnectorError('CLOSED', 'The write-behind queue is closed'), null);
    if (bytes > this.options.maxBytes) {
      return granted(
        new ConnectorError(
          'QUEUE_FULL',
          `A write of ${bytes} bytes can never fit the write-behind queue (maxBytes ${this.options.maxBytes})`,
        ),
        null,
      );
    }
    if (!this.hasWaiters() && this.fits(bytes)) return granted(null, this.take(bytes));
    if (this.options.whenFull === 'refuse') {
      return granted(
        new ConnectorError(
          'QUEUE_FULL',
          `The write-behind queue is full (${this.usedEntries} writes, ${this.usedBytes} bytes): storage is behind`,
          { details: { depth: this.usedEntries, bytes: this.usedBytes } },
        ),
        null,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const waiter: SpaceWaiter = {
      bytes,
      resolve: (reservation) => {
        clearTimeout(timer);
        granted(null, reservation);
      },
      reject: (err) => {
        clearTimeout(timer);
        granted(err, null);
      },
    };
    if (waitMs !== undefined) {
      timer = setTimeout(() => {
        const i = this.spaceWaiters.indexOf(waiter);
        if (i !== -1) this.spaceWaiters.splice(i, 1);
        granted(
          new ConnectorError(
            'TIMEOUT',
            `Timed out waiting for room in the write-behind queue (storage is behind)`,
            {
              details: { depth: this.usedEntries, bytes: this.usedBytes },
            },
          ),
          null,
        );
        // The writes behind this one may fit now.
        this.grantWaiters();
      }, waitMs);
    }
    this.spaceWaiters.push(waiter);
    this.pump(true, true); // a full queue drains without waiting out lingerMs or writeDelayMs
  }

  /** `reserve` without the promise when there is room now (the common case); else null. */
  tryReserve(bytes: number): Reservation | null {
    if (this.closed || this.hasWaiters() || !this.fits(bytes)) return null;
    return this.take(bytes);
  }

  /** Gives a reservation back (the cache write failed). */
  cancel(reservation: Reservation): void {
    if (reservation.settled) return;
    reservation.settled = true;
    this.release(1, reservation.bytes);
  }

  /**
   * Lets a write of `key` rely on the journal mark of the queued write of its key, so its cache
   * write need not journal again: a hot key is then marked once per dirty period, not once per
   * write. A pending entry of the same operation, with a mark and still open to rides, can be
   * ridden: the write coalesces into it, and it is not dispatched until every ride on it has
   * ended. So can a write in flight to storage, or one already written whose mark is kept
   * (markRetentionMs): the write becomes a new pending entry carrying the same mark, and the mark
   * is not released while a ride on it is under way or a queued write carries it. No write rides
   * while a journaled write of its key that rides nothing is under way (see `marking`). Either
   * way the mark cannot be cleared under a write that relies on it.
   */
  ride(key: string, op: 'set' | 'delete'): Ride | null {
    const entry = this.rideable(key, op);
    if (entry === null) return null;
    entry.riders++;
    return { token: entry.token!, entry, settled: false };
  }

  /**
   * `tryReserve` and `ride` in one, for the hot path of a tiered store that journals: a key
   * rewritten while its journaled write is pending. Null when there is no room now or no entry
   * to ride. The returned write is the listener of its cache write: it commits itself into the
   * entry when told the write is done, or gives back its room and ride when told it failed.
   */
  rideWrite(key: string, record: WriteContent | null, ttl: number, bytes: number): RiddenWrite | null {
    if (this.hasWaiters() || !this.fits(bytes)) return null;
    const entry = this.rideable(key, record === null ? 'delete' : 'set');
    if (entry === null) return null;
    entry.riders++;
    this.usedEntries++;
    this.usedBytes += bytes;
    return new RiddenWrite(this, entry, key, record, ttl, bytes);
  }

  /** @internal A ridden write's cache write is done, or failed: see RiddenWrite. */
  settleRidden(write: RiddenWrite, ridden: object, failed: boolean): void {
    const entry = ridden as Entry;
    if (failed) {
      this.release(1, write.bytes);
      this.endRideOn(entry);
      this.schedulePump(); // the entry may be due, held back only by this ride
      this.cacheWriteFailed(write.key);
      return;
    }
    const seq = ++this.seq;
    this.counters.enqueued++;
    this.commitRidden(entry, write, write.bytes, seq);
  }

  /** @internal A journaled write of `key` that rides nothing has started (see `marking`). */
  startMarking(key: string): void {
    this.marking.set(key, (this.marking.get(key) ?? 0) + 1);
  }

  /**
   * @internal That write is in the queue or failed. Writes of one key settle in issue order, so
   * the last to settle says whether the newest mark is the one the queued entry carries.
   */
  endMarking(key: string, failed: boolean): void {
    const underWay = this.marking.get(key)! - 1;
    if (underWay === 0 && !failed) this.marking.delete(key);
    else this.marking.set(key, underWay);
  }

  /** The queued entry of `key` a write of `op` may ride, or null (see ride()). */
  private rideable(key: string, op: 'set' | 'delete'): Entry | null {
    if (this.marking.has(key)) return null;
    // A pending entry is the one to ride (or none is); without one, the write in flight; without
    // that, a written one whose mark is kept.
    const entry =
      this.pending.get(key) ?? this.inFlight.get(key) ?? this.retained.get(key) ?? this.retiring.get(key);
    // No clock read here (this is every hot-key write): the pump closes a due entry to rides
    // when it finds it ridden, and until then a ride only adds a newer value to its write.
    if (!entry || entry.token === null || entry.op !== op || entry.ridesClosed || this.closed) return null;
    return entry;
  }

  /**
   * A write that rode `entry` is in the caches: into the entry while it is pending, else (it was
   * in flight) as the pending write of its key, with the mark. Then the ride ends: the entry's
   * mark is only released once the write carrying it is queued.
   */
  private commitRidden(entry: Entry, write: QueuedWrite, bytes: number, seq: number): void {
    // An entry never sent to storage (attempts 0: dispatch counts, and only a pending entry is
    // coalesced into) is pending without a lookup: this is every hot-key write.
    if (entry.attempts === 0 || this.pending.get(entry.key) === entry) {
      this.endRideOn(entry);
      this.coalesceRidden(entry, write, bytes);
    } else {
      this.enqueue(write, bytes, seq);
      this.endRideOn(entry);
    }
  }

  /** A ride on `entry` ended; the last one on an entry already in storage lets its mark go. */
  private endRideOn(entry: Entry): void {
    entry.riders--;
    if (entry.riders > 0 || !entry.markHeld) return;
    entry.markHeld = false;
    this.releaseMarks([entry]);
  }

  /**
   * Written entries: keeps the marks nothing else relies on for rides (markRetentionMs), or tells
   * the hooks they may go.
   */
  private releaseMarks(written: readonly Entry[]): void {
    if (!this.hooks.marksReleased) return;
    const released: Entry[] = [];
    for (const e of written) {
      if (e.token === null) continue;
      if (e.riders > 0) {
        e.markHeld = true; // a cache write relying on the mark is under way: see endRideOn()
        continue;
      }
      // The mark passed to a newer write of the key, which may already be in flight itself.
      const newer = this.pending.get(e.key) ?? this.inFlight.get(e.key);
      if (newer !== undefined && newer !== e && newer.token === e.token) continue;
      if (newer === undefined && e.ttl === 0 && this.options.markRetentionMs > 0 && !this.closed)
        this.retain(e);
      else released.push(e);
    }
    if (released.length > 0) this.hooks.marksReleased(released);
  }

  /** Keeps a written entry's mark for rides until a sweep or two later (see sweepMarks()). */
  private retain(entry: Entry): void {
    entry.data = null; // only its mark is kept
    this.retiring.delete(entry.key);
    this.retained.set(entry.key, entry);
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweepMarks(), this.options.markRetentionMs);
    this.sweepTimer.unref(); // kept marks are never a reason to keep a process alive
  }

  /** Releases the marks kept since before the previous sweep, and ages the rest. */
  private sweepMarks(): void {
    const released = this.releasable(this.retiring, this.retained);
    this.retiring = this.retained;
    this.retained = new Map();
    if (this.retiring.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
    if (released.length > 0) this.hooks.marksReleased?.(released);
  }

  /**
   * The kept entries whose marks may go: not one with a ride under way (moved to `carry`, if
   * given, for another round), nor one whose key has a queued write again (that write owns the
   * key's mark now: it carries this one, or replaced it with its own).
   */
  private releasable(kept: Map<string, Entry>, carry: Map<string, Entry> | null): Entry[] {
    const released: Entry[] = [];
    for (const e of kept.values()) {
      if (e.riders > 0) {
        if (carry && !carry.has(e.key)) carry.set(e.key, e);
      } else if (!this.pending.has(e.key) && !this.inFlight.has(e.key)) released.push(e);
    }
    return released;
  }

  /** @internal A write's cache write failed and it was not queued: see WriteBehindHooks. */
  cacheWriteFailed(key: string): void {
    this.hooks.cacheWriteFailed?.(key);
  }

  /** Gives a ride back (its cache write failed). */
  unride(ride: Ride): void {
    if (this.endRide(ride)) this.schedulePump();
  }

  /** Ends a ride once; false when it had ended already. */
  private endRide(ride: Ride): boolean {
    if (ride.settled) return false;
    ride.settled = true;
    this.endRideOn(ride.entry as Entry);
    return true;
  }

  /**
   * Queues the write for which room was reserved; a pending write of the same key is replaced.
   * A write that rode a pending entry (`ride`) is committed with that ride.
   */
  commit(reservation: Reservation, write: QueuedWrite, ride?: Ride | null): void {
    if (reservation.settled) throw new Error('reservation already used');
    reservation.settled = true;
    const seq = ++this.seq;
    this.counters.enqueued++;
    if (ride) {
      if (ride.settled) throw new Error('ride already ended');
      ride.settled = true;
      this.commitRidden(ride.entry as Entry, write, reservation.bytes, seq);
      return;
    }
    this.enqueue(write, reservation.bytes, seq);
  }

  /** Makes `write` the pending write of its key: a new entry, or coalesced into the pending one. */
  private enqueue(write: QueuedWrite, bytes: number, seq: number): void {
    const timed = write.op === 'set' && write.ttl > 0;
    const existing = this.pending.get(write.key);
    const now = Date.now();
    const expiresAt = timed ? now + write.ttl : 0;
    if (existing) {
      this.coalesce(existing, write, expiresAt, bytes);
    } else {
      this.pending.set(write.key, {
        key: write.key,
        op: write.op,
        data: ownCopy(write.data),
        version: write.version,
        ttl: write.ttl,
        expiresAt,
        token: write.token,
        bytes,
        firstSeq: seq,
        enqueuedAt: now,
        attempts: 0,
        riders: 0,
        ridesClosed: false,
        markHeld: false,
      });
    }
    this.schedulePump(now);
  }

  /**
   * A ridden entry is still pending (riders keep it from being dispatched): no lookup. Nor does
   * coalescing into it change the pending set or its order, so the pump's timer, armed while
   * writes are pending, will take it; only someone waiting (flush, room) cannot wait.
   */
  private coalesceRidden(entry: Entry, write: QueuedWrite, bytes: number): void {
    const expiresAt = write.op === 'set' && write.ttl > 0 ? Date.now() + write.ttl : 0;
    this.coalesce(entry, write, expiresAt, bytes);
    if (entry.riders === 0 && this.urgent) this.pump(true);
  }

  /**
   * Replaces a pending write with a newer one of its key, keeping the older one's place (and
   * firstSeq) — in place, because rides hold on to the entry.
   */
  private coalesce(existing: Entry, write: QueuedWrite, expiresAt: number, bytes: number): void {
    this.counters.coalesced++;
    this.release(1, existing.bytes);
    existing.op = write.op;
    // Bytes no one else has seen (never sent to storage; reads get a copy) are overwritten in
    // place: a new value object in an old entry on every hot-key write was a young object the
    // next scavenge had to copy, one per key (measured: scavenges ~50 % longer than the cache
    // alone's; a c=64 set's p99 is a round plus the scavenge in it). Bytes a storage attempt had
    // stay as they were.
    const data = write.data;
    const mine = existing.data;
    if (existing.attempts === 0 && mine !== null && data !== null && mine.byteLength === data.byteLength)
      mine.set(data);
    else existing.data = ownCopy(data);
    existing.version = write.version;
    existing.ttl = write.ttl;
    existing.expiresAt = expiresAt;
    existing.token = write.token;
    existing.bytes = bytes;
    existing.attempts = 0;
  }

  /** The newest queued write for a key (pending before in flight): read-your-writes. */
  peek(key: string): QueuedWrite | undefined {
    return this.pending.get(key) ?? this.inFlight.get(key);
  }

  /** Resolves when every write committed before this call is in storage. */
  flush(): Promise<void> {
    const seq = this.seq;
    if (!this.hasWritesUpTo(seq)) return Promise.resolve();
    this.pump(true, true); // someone is waiting: no linger, no write delay
    return new Promise<void>((resolve) => this.flushWaiters.push({ seq, resolve }));
  }

  /** Stops accepting writes; tries to flush for `timeoutMs`; returns the keys left unwritten. */
  async close(timeoutMs: number): Promise<string[]> {
    this.closed = true;
    for (const waiter of this.spaceWaiters.splice(0)) {
      waiter.reject(new ConnectorError('CLOSED', 'The tiered store closed while waiting for queue room'));
    }
    // Retry at once rather than after a long backoff: this is the last chance.
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.pump(true, true);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.retryTimer = null;
    this.lingerTimer = null;
    this.sweepTimer = null;
    // Kept marks go now (writes landing from here on are not kept: see releaseMarks()).
    const kept = [...this.releasable(this.retained, null), ...this.releasable(this.retiring, null)];
    this.retained.clear();
    this.retiring.clear();
    if (kept.length > 0) this.hooks.marksReleased?.(kept);
    return [...new Set([...this.inFlight.keys(), ...this.pending.keys()])];
  }

  get depth(): number {
    return this.usedEntries;
  }

  stats(): WriteBehindStats {
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of this.pending.values()) oldest = Math.min(oldest, e.enqueuedAt);
    for (const e of this.inFlight.values()) oldest = Math.min(oldest, e.enqueuedAt);
    const c = this.counters;
    return {
      depth: this.pending.size + this.inFlight.size,
      bytes: this.usedBytes,
      inFlight: this.inFlight.size,
      enqueued: c.enqueued,
      coalesced: c.coalesced,
      written: c.written,
      batches: c.batches,
      meanBatchSize: c.batches === 0 ? 0 : c.batchedWrites / c.batches,
      maxBatchSize: c.maxBatchSize,
      retries: c.retries,
      failedBatches: c.failedBatches,
      givenUp: c.givenUp,
      oldestPendingAgeMs: oldest === Number.POSITIVE_INFINITY ? 0 : Date.now() - oldest,
      retainedMarks: this.retained.size + this.retiring.size,
    };
  }

  // ---------------------------------------------------------------------------------------------

  private fits(bytes: number): boolean {
    return this.usedEntries + 1 <= this.options.maxEntries && this.usedBytes + bytes <= this.options.maxBytes;
  }

  private take(bytes: number): Reservation {
    this.usedEntries++;
    this.usedBytes += bytes;
    return { bytes, settled: false };
  }

  private release(entries: number, bytes: number): void {
    this.usedEntries -= entries;
    this.usedBytes -= bytes;
    this.grantWaiters();
  }

  /** Writes waiting for room, or given room and not yet told. */
  private hasWaiters(): boolean {
    return this.spaceWaiters.length > 0 || this.granting.length > 0;
  }

  /**
   * Gives room to the waiters at the head of the line that fit, first come first served. They
   * are told on a microtask, not inside the queue operation that freed the room.
   */
  private grantWaiters(): void {
    if (this.spaceWaiters.length === 0 || !this.fits(this.spaceWaiters[0]!.bytes)) return;
    if (this.granting.length === 0) queueMicrotask(() => this.tellGranted());
    while (this.spaceWaiters.length > 0 && this.fits(this.spaceWaiters[0]!.bytes)) {
      const waiter = this.spaceWaiters.shift()!;
      this.granting.push({ waiter, reservation: this.take(waiter.bytes) });
    }
  }

  private tellGranted(): void {
    const granted = this.granting;
    this.granting = [];
    for (const { waiter, reservation } of granted) waiter.resolve(reservation);
    this.grantWaiters(); // writes that came meanwhile waited behind these
  }

  private schedulePump(now = Date.now()): void {
    // A full batch leaves now; a partial one waits (at most lingerMs) for company, and nothing
    // leaves before its write delay is over (pump would stop at the oldest entry anyway).
    if (this.pending.size >= this.options.batchSize) {
      if (this.urgent) this.pump(false);
      else if (now >= this.notDueBefore) {
        const dueIn = this.oldestDueIn(now);
        if (dueIn <= 0) this.pump(false);
        else this.notDueBefore = now + dueIn;
      }
    }
    if (this.pending.size === 0 || this.lingerTimer || this.retryTimer) return;
    if (this.activeBatches >= this.options.concurrency) return; // the next completion pumps again
    const untilDue = this.oldestDueIn(now);
    this.lingerTimer = setTimeout(
      () => {
        this.lingerTimer = null;
        this.pump(true);
        this.schedulePump(); // writes not yet due when this fired
      },
      Math.max(this.options.lingerMs, untilDue),
    );
  }

  /** Ms until the oldest pending write is due (<= 0: due); pending must not be empty. */
  private oldestDueIn(now: number): number {
    return this.dueIn(this.pending.values().next().value as Entry, now);
  }

  /** Ms until `entry` may go to storage (<= 0: due). */
  private dueIn(entry: Entry, now: number): number {
    return entry.enqueuedAt + this.options.writeDelayMs - now;
  }

  /** Whether every queued write is wanted now: someone flushes or waits for room, or the queue closes. */
  private get urgent(): boolean {
    return this.flushWaiters.length > 0 || this.hasWaiters() || this.closed;
  }

  /**
   * Dispatches batches while concurrency allows; partial batches only when `partial`; writes
   * whose delay is not over only when `force`.
   */
  private pump(partial: boolean, force = this.urgent): void {
    if (this.retryTimer) return; // backing off after a failure
    const dueBefore = force ? Number.POSITIVE_INFINITY : Date.now() - this.options.writeDelayMs;
    while (this.activeBatches < this.options.concurrency && this.pending.size > 0) {
      const batch: Entry[] = [];
      for (const entry of this.pending.values()) {
        // Pending is (nearly) in acknowledgement order: the first write not yet due ends the scan.
        if (entry.enqueuedAt > dueBefore) break;
        if (this.inFlight.has(entry.key)) continue; // per-key order: one write of a key at a time
        if (entry.riders > 0) {
          // A cache write relying on its mark is still under way: let it end, take no more.
          entry.ridesClosed = true;
          continue;
        }
        batch.push(entry);
        if (batch.length >= this.options.batchSize) break;
      }
      if (batch.length === 0 || (!partial && batch.length < this.options.batchSize)) break;
      for (const entry of batch) {
        this.pending.delete(entry.key);
        this.inFlight.set(entry.key, entry);
        entry.attempts++;
        entry.ridesClosed = false; // in flight, rides no longer hold it back (see ride())
      }
      this.activeBatches++;
      this.counters.batches++;
      this.counters.batchedWrites += batch.length;
      this.counters.maxBatchSize = Math.max(this.counters.maxBatchSize, batch.length);
      let attempt: Promise<void>;
      try {
        attempt = this.hooks.write(batch);
      } catch (err) {
        attempt = Promise.reject(err);
      }
      attempt.then(
        () => this.succeeded(batch),
        (err: unknown) => this.failedBatch(batch, err),
      );
    }
  }

  private succeeded(batch: Entry[]): void {
    this.activeBatches--;
    this.consecutiveFailures = 0;
    for (const entry of batch) {
      this.inFlight.delete(entry.key);
      this.release(1, entry.bytes);
    }
    this.counters.written += batch.length;
    try {
      this.releaseMarks(batch);
    } finally {
      this.settleFlushWaiters();
      this.pump(this.urgent);
      this.schedulePump();
    }
  }

  private failedBatch(batch: Entry[], err: unknown): void {
    this.notDueBefore = 0;
    this.activeBatches--;
    this.consecutiveFailures++;
    this.counters.failedBatches++;
    const error =
      err instanceof ConnectorError
        ? err
        : new ConnectorError(
            'BACKEND',
            `Storage write failed: ${err instanceof Error ? err.message : String(err)}`,
            {
              cause: err,
            },
          );
    const givenUp: string[] = [];
    for (const entry of batch) {
      this.inFlight.delete(entry.key);
      const newer = this.pending.get(entry.key);
      if (newer) {
        // A newer write of this key is queued: it supersedes this one, and inherits its place in flush().
        newer.firstSeq = Math.min(newer.firstSeq, entry.firstSeq);
        newer.enqueuedAt = Math.min(newer.enqueuedAt, entry.enqueuedAt);
        this.release(1, entry.bytes);
      } else if (entry.attempts >= this.options.maxAttempts) {
        givenUp.push(entry.key);
        this.counters.givenUp++;
        this.release(1, entry.bytes);
      } else {
        this.counters.retries++;
        this.pending.set(entry.key, entry);
      }
    }
    const retrying = batch.map((e) => e.key).filter((k) => !givenUp.includes(k));
    if (retrying.length > 0) this.hooks.failed(error, retrying, false);
    if (givenUp.length > 0) this.hooks.failed(error, givenUp, true);
    this.settleFlushWaiters();
    if (this.pending.size > 0 && !this.retryTimer) {
      const base = Math.min(
        this.options.retryMaxDelayMs,
        this.options.retryInitialDelayMs * 2 ** (this.consecutiveFailures - 1),
      );
      const jitter = 1 + (Math.random() * 2 - 1) * this.options.retryJitter;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.pump(true);
        this.schedulePump();
      }, base * jitter);
    }
  }

  private hasWritesUpTo(seq: number): boolean {
    for (const entry of this.pending.values()) if (entry.firstSeq <= seq) return true;
    for (const entry of this.inFlight.values()) if (entry.firstSeq <= seq) return true;
    return false;
  }

  private settleFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    for (let i = this.flushWaiters.length - 1; i >= 0; i--) {
      const waiter = this.flushWaiters[i]!;
      if (!this.hasWritesUpTo(waiter.seq)) {
        this.flushWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}
