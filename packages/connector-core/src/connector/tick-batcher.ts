/** One call waiting in a batch: its input and how to settle it. */
export interface BatchedCall<In, Out> {
  readonly input: In;
  resolve(value: Out): void;
  reject(err: unknown): void;
}

/**
 * Collects the calls made in one tick and hands them to `flush` together on the next one, so a
 * backend with a multi-item request (BatchWriteItem, bulkWrite, MGET, …) serves many concurrent
 * single operations with one round trip. Nothing waits longer than the current tick: a lone
 * call goes out as a batch of one, so latency at concurrency 1 is unchanged.
 *
 * `flush` settles every call of the batch it is given; if it throws or rejects, every call it
 * left unsettled is rejected with that error, and a call it forgot is rejected when it finishes
 * (a call is never left hanging).
 */
export class TickBatcher<In, Out> {
  private pending: BatchedCall<In, Out>[] = [];
  private scheduled = false;

  /** @param maxBatch most calls handed to one `flush`; more in the same tick make more batches. */
  constructor(
    private readonly flush: (calls: BatchedCall<In, Out>[]) => Promise<void> | void,
    private readonly maxBatch: number,
  ) {
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(`TickBatcher: maxBatch must be a positive integer, got ${String(maxBatch)}`);
    }
  }

  /**
   * Queues one call; resolves or rejects when its batch has been answered. The batch leaves on
   * `process.nextTick`: a caller that awaits anything before `add()` joins a later batch than
   * the calls issued with it in the same callback (keep such awaits off the common path).
   */
  add(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(this.drain);
      }
    });
  }

  /** Calls queued and not yet handed to `flush`. */
  get size(): number {
    return this.pending.length;
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += this.maxBatch) this.run(all.slice(i, i + this.maxBatch));
  };

  private run(calls: BatchedCall<In, Out>[]): void {
    let settled = 0;
    const guarded = calls.map((call) => {
      let done = false;
      return {
        input: call.input,
        resolve: (value: Out) => {
          if (done) return;
          done = true;
          settled++;
          call.resolve(value);
        },
        reject: (err: unknown) => {
          if (done) return;
          done = true;
          settled++;
          call.reject(err);
        },
      };
    });
    const failAll = (err: unknown): void => {
      if (settled === guarded.length) return;
      for (const call of guarded) call.reject(err);
    };
    try {
      Promise.resolve(this.flush(guarded)).then(() => {
        // A flush that forgot a call is a bug; the caller still gets an answer.
        if (settled < guarded.length)
          failAll(new Error('TickBatcher: the batch finished without answering this call'));
      }, failAll);
    } catch (err) {
      failAll(err);
    }
  }
}
