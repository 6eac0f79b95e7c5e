/** One operation's timeout: `expire` runs at `at` unless the operation is done first. */
export interface Deadline {
  readonly at: number;
  expire: (() => void) | null;
}

const INITIAL_CAPACITY = 64;
/** Below this many entries a queue of mostly finished operations is not worth compacting. */
const COMPACT_FROM = 1024;

/**
 * The operation timeouts of one connector, on one timer. Every operation of a connector has the
 * same timeout, so deadlines come due in the order operations started: a FIFO ring of them,
 * and one Node.js timer armed for the oldest, replace a `setTimeout`/`clearTimeout` pair per
 * operation (a timer list insert and removal on every get and set).
 *
 * Finished operations are dropped from the head as they finish; behind a slow one they wait in
 * the ring (without what they referenced) and the ring is compacted once they are most of it,
 * so it holds at most about twice the operations in flight. The timer keeps the process alive
 * only while an operation is pending, as a timer per operation did.
 */
export class DeadlineQueue {
  private ring: (Deadline | undefined)[] = new Array<Deadline | undefined>(INITIAL_CAPACITY);
  private head = 0;
  /** Entries in the ring, finished ones included. */
  private count = 0;
  /** Entries still pending. */
  private pending = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerHoldsProcess = false;

  constructor(private readonly timeoutMs: number) {}

  /** Schedules `expire` for `timeoutMs` from now. */
  add(expire: () => void): Deadline {
    const deadline: Deadline = { at: performance.now() + this.timeoutMs, expire };
    if (this.count === this.ring.length) this.resize(this.ring.length * 2);
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = deadline;
    this.count++;
    this.pending++;
    if (this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.timeoutMs);
      this.timerHoldsProcess = true;
    } else if (!this.timerHoldsProcess) {
      this.timer.ref();
      this.timerHoldsProcess = true;
    }
    return deadline;
  }

  /** The operation is done: its deadline will not expire. */
  cancel(deadline: Deadline): void {
    if (deadline.expire === null) return;
    deadline.expire = null;
    this.pending--;
    this.dropFinishedHead();
    if (this.pending === 0) {
      if (this.timerHoldsProcess) {
        this.timer!.unref();
        this.timerHoldsProcess = false;
      }
    } else if (this.count >= COMPACT_FROM && this.pending * 2 < this.count) {
      this.resize(this.ring.length);
    }
  }

  /** Stops the timer (after close, when nothing is pending). */
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerHoldsProcess = false;
  }

  /** Pending deadlines (for tests). */
  get size(): number {
    return this.pending;
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerHoldsProcess = false;
    // A timer can fire up to a millisecond before performance.now() says it is due.
    const now = performance.now() + 1;
    while (this.count > 0) {
      const deadline = this.ring[this.head]!;
      if (deadline.expire !== null && deadline.at > now) break;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & (this.ring.length - 1);
      this.count--;
      const expire = deadline.expire;
      if (expire !== null) {
        deadline.expire = null;
        this.pending--;
        expire();
      }
    }
    this.dropFinishedHead();
    if (this.count > 0) {
      const wait = Math.max(1, this.ring[this.head]!.at - performance.now());
      this.timer = setTimeout(this.onTimer, wait);
      this.timerHoldsProcess = true;
    }
  };

  private dropFinishedHead(): void {
    const mask = this.ring.length - 1;
    while (this.count > 0 && this.ring[this.head]!.expire === null) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.count--;
    }
  }

  /** Copies the pending entries, in order, into a ring of `capacity` (a power of two). */
  private resize(capacity: number): void {
    const old = this.ring;
    const mask = old.length - 1;
    const ring = new Array<Deadline | undefined>(capacity);
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const deadline = old[(this.head + i) & mask]!;
      if (deadline.expire !== null) ring[kept++] = deadline;
    }
    this.ring = ring;
    this.head = 0;
    this.count = kept;
  }
}
