/** An operation as the completion order sees it. */
export interface OrderedOperation {
  /** The keys it touches (may repeat). Empty for an operation on no key. */
  readonly keys: readonly string[];
  /** RUNNING until it has its outcome, then HELD until every earlier operation of its keys is released. */
  state: OperationState;
  /** Hands the outcome to the caller. Called once. */
  release(): void;
}

/** Where an operation is between issue and delivery. */
export const OperationState = { Running: 0, Held: 1, Released: 2 } as const;
export type OperationState = (typeof OperationState)[keyof typeof OperationState];

/** A key's operations in issue order: one operation, several, or none (an empty lane kept for reuse). */
type Lane = OrderedOperation | OrderedOperation[] | null;

/** Empty lanes are swept once the map holds this many keys (or twice the busy ones, if more). */
const MIN_SWEEP_AT = 4096;

/**
 * Per-key completion order: an operation's outcome reaches its caller only after the outcome of
 * every earlier operation on any of its keys — reads and writes alike, whichever finished first
 * in the backend. A server that answers clients in callback order (deepstream) relies on it: a
 * read issued before a write but answered after the write's acknowledgement would send a client
 * the older version last.
 *
 * Each key has a lane in issue order. The common case, one operation on a key at a time, keeps
 * the operation itself as the lane (no array). A lane that empties stays in the map, set to
 * null, and empty lanes are swept in bulk when the map grows: deleting each key as its lane
 * empties makes V8 rebuild the map's table over and over, and those tables end up as garbage in
 * the old generation.
 */
export class CompletionOrder {
  private readonly lanes = new Map<string, Lane>();
  /** Keys whose lane is not empty. */
  private busy = 0;
  private sweepAt = MIN_SWEEP_AT;

  /** Called when the operation is issued, before anything can complete it. */
  enter(op: OrderedOperation): void {
    const keys = op.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const lane = this.lanes.get(key);
      if (lane === undefined || lane === null) {
        this.busy++;
        this.lanes.set(key, op);
        if (lane === undefined && this.lanes.size > this.sweepAt) this.sweep();
      } else if (Array.isArray(lane)) lane.push(op);
      else this.lanes.set(key, [lane, op]);
    }
  }

  /** The operation has its outcome: release it now, or once the operations before it are released. */
  complete(op: OrderedOperation): void {
    op.state = OperationState.Held;
    const keys = op.keys;
    if (keys.length === 0) {
      op.state = OperationState.Released;
      op.release();
      return;
    }
    if (keys.length === 1 && this.lanes.get(keys[0]!) === op) {
      this.lanes.set(keys[0]!, null);
      this.busy--;
      op.state = OperationState.Released;
      op.release();
      return;
    }
    this.releaseFrom(op);
  }

  /** True when no operation of `key` is in flight or held. */
  isIdle(key: string): boolean {
    if (this.busy === 0) return true;
    const lane = this.lanes.get(key);
    return lane === undefined || lane === null;
  }

  /** Keys with an operation in flight or held. */
  get size(): number {
    return this.busy;
  }

  private releaseFrom(first: OrderedOperation): void {
    const ready: OrderedOperation[] = [first];
    while (ready.length > 0) {
      const op = ready.pop()!;
      if (op.state !== OperationState.Held || !this.isFirstInEveryLane(op)) continue;
      op.state = OperationState.Released;
      const keys = op.keys;
      for (let i = 0; i < keys.length; i++) {
        const next = this.shift(keys[i]!);
        if (next !== undefined && next.state === OperationState.Held) ready.push(next);
      }
      op.release();
    }
  }

  private isFirstInEveryLane(op: OrderedOperation): boolean {
    const keys = op.keys;
    for (let i = 0; i < keys.length; i++) {
      const lane = this.lanes.get(keys[i]!);
      if ((Array.isArray(lane) ? lane[0] : lane) !== op) return false;
    }
    return true;
  }

  /** Removes the first operation of `key`'s lane; returns the new first, if any. */
  private shift(key: string): OrderedOperation | undefined {
    const lane = this.lanes.get(key);
    if (Array.isArray(lane)) {
      lane.shift();
      if (lane.length > 0) return lane[0];
    }
    if (lane !== null) {
      this.lanes.set(key, null);
      this.busy--;
    }
    return undefined;
  }

  private sweep(): void {
    for (const [key, lane] of this.lanes) if (lane === null) this.lanes.delete(key);
    this.sweepAt = Math.max(MIN_SWEEP_AT, 2 * this.lanes.size);
  }
}
