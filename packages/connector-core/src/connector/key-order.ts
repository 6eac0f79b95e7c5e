const noop = (): void => undefined;

/**
 * Per-key order for backends that do not keep it (several connections, a server that may apply
 * concurrent commands in any order): an operation on a key starts after the writes of that key
 * issued before it, and a write becomes the key's new tail. Operations on other keys never wait.
 *
 * A key leaves the map as soon as its last write settles. (Lazy clean-up, marking settled tails
 * and sweeping them when the map doubles, measured slower: the map grows, and the per-key cost is
 * mostly hashing the fresh key string, which the eager clean-up pays only once.)
 */
export class KeyOrder {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` after the earlier writes of `keys`; a write (`isWrite`) is waited for by later ones. */
  run<T>(keys: readonly string[], isWrite: boolean, work: () => Promise<T>): Promise<T> {
    const before: Promise<void>[] = [];
    if (this.tails.size > 0) {
      for (const key of keys) {
        const tail = this.tails.get(key);
        if (tail) before.push(tail);
      }
    }
    const result = before.length === 0 ? work() : Promise.all(before).then(work);
    if (isWrite) {
      const tail = result.then(noop, noop);
      for (const key of keys) this.tails.set(key, tail);
      void tail.then(() => {
        for (const key of keys) if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
    return result;
  }

  /** True when a write of `key` is in progress. */
  has(key: string): boolean {
    return this.tails.size > 0 && this.tails.has(key);
  }

  /** Keys with a write in progress. */
  get size(): number {
    return this.tails.size;
  }
}
