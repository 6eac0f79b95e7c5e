/**
 * One hook call waiting for its Redis replies. A bulk request may be spread over several
 * commands (one per slot or chunk); it settles once every part has answered, or at the first
 * failure, exactly once.
 */
export class PendingRequest<T> {
  private remaining: number;
  private settled = false;

  constructor(
    parts: number,
    readonly result: T,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.remaining = parts;
  }

  /** One part answered. */
  partDone(): void {
    if (--this.remaining === 0 && !this.settled) {
      this.settled = true;
      this.resolve(this.result);
    }
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }
}

/** A request with one result slot per key (reads). */
export type ReadRequest<R> = PendingRequest<R[]>;
/** A request without a result (writes). */
export type WriteRequest = PendingRequest<undefined>;
/** A compare-and-set: its result is whether it wrote. */
export class CasRequest {
  constructor(
    readonly resolve: (written: boolean) => void,
    readonly reject: (err: unknown) => void,
  ) {}
}
