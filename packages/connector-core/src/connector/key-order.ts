const noop = (): void => undefined;

/** Emptied keys are swept once the map holds this many (or twice the busy ones, if more). */
const MIN_SWEEP_AT = 4096;

/**
 * Per-key order for backends that do not keep it (several connections, a server that may apply
 * concurrent commands in any order): an operation on a key starts after the writes of that key
 * issued before it, and a write becomes the key's new tail. Operations on other keys never wait.
 *
 * A key's tail is the promise of its last write itself: nothing is allocated for a write that
 * nothing waits for (an operation that does wait chains on the tails it finds). When the write
 * settles its key is set to null, not deleted, and emptied keys are swept in bulk when the map
 * grows, as in `CompletionOrder`: a delete per write made V8 rebuild the map's table over and
 * over. The base class reports settled writes itself (`start` and `settled`), from the handlers
 * it attaches to every operation anyway; `run` does it for other callers.
 */
export class KeyOrder {
  private readonly tails = new Map<string, Promise<unknown> | null>();
  /** Keys with a write in progress. */
  private busy = 0;
  private sweepAt = MIN_SWEEP_AT;

  /** Runs `work` after the earlier writes of `keys`; a write (`isWrite`) is waited for by later ones. */
  run<T>(keys: readonly string[], isWrite: boolean, work: () => Promise<T>): Promise<T> {
    const result = this.start(keys, isWrite, work);
    if (isWrite) {
      const settled = (): void => this.settled(keys, result);
      result.then(settled, settled);
    }
    return result;
  }

  /**
   * `run` without the clean-up: for a write, the caller calls `settled(keys, result)` once the
   * returned promise settles (and handles its rejection), or its keys stay held.
   */
  start<T>(keys: readonly string[], isWrite: boolean, work: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    if (this.busy === 0) {
      result = work();
    } else {
      const before = this.writesBefore(keys);
      result = before === null ? work() : before.then(work);
    }
    if (isWrite) {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const tail = this.tails.get(key);
        if (tail === undefined || tail === null) {
          this.busy++;
          if (tail === undefined && this.tails.size >= this.sweepAt) this.sweep();
        }
        this.tails.set(key, result);
      }
    }
    return result;
  }

  /** The write `start` returned as `result` has settled: its keys no longer wait for it. */
  settled(keys: readonly string[], result: Promise<unknown>): void {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (this.tails.get(key) === result) {
        this.tails.set(key, null);
        this.busy--;
      }
    }
  }

  /** True when a write of `key` is in progress. */
  has(key: string): boolean {
    if (this.busy === 0) return false;
    const tail = this.tails.get(key);
    return tail !== undefined && tail !== null;
  }

  /** Keys with a write in progress. */
  get size(): number {
    return this.busy;
  }

  /** A promise that settles (never rejects) once the writes in progress on `keys` have; null if none. */
  private writesBefore(keys: readonly string[]): Promise<void> | null {
    let first: Promise<unknown> | null = null;
    let more: Promise<unknown>[] | null = null;
    for (let i = 0; i < keys.length; i++) {
      const tail = this.tails.get(keys[i]!);
      if (tail === undefined || tail === null || tail === first) continue;
      if (first === null) first = tail;
      else (more ??= [first]).push(tail);
    }
    if (first === null) return null;
    if (more === null) return first.then(noop, noop);
    return Promise.all(more.map((tail) => tail.then(noop, noop))).then(noop);
  }

  private sweep(): void {
    for (const [key, tail] of this.tails) if (tail === null) this.tails.delete(key);
    this.sweepAt = Math.max(MIN_SWEEP_AT, 2 * this.tails.size);
  }
}
