import type { ConnectorError } from '../errors';
import type { Callback } from '../types';
import { invoke } from './callbacks';
import { OperationState, type OrderedOperation } from './completion-order';

/**
 * One public operation from issue to delivery: its keys (for the completion order), its outcome
 * once known, and its caller — a callback, or the resolvers of the promise it returned.
 *
 * A callback is called on a microtask, like a promise reaction: whether an operation's caller
 * used a callback or a promise, outcomes released in order reach their callers in that order,
 * and a callback never runs inside the call that issued it.
 */
export class Operation<T> implements OrderedOperation {
  state: OperationState = OperationState.Running;
  error: ConnectorError | null = null;
  value: T | undefined = undefined;
  /** The promise returned to the caller; undefined when the caller gave a callback. */
  readonly promise: Promise<T> | undefined;
  private resolve: ((value: T) => void) | undefined;
  private reject: ((err: ConnectorError) => void) | undefined;

  constructor(
    readonly keys: readonly string[],
    private readonly callback: Callback<T> | undefined,
  ) {
    if (callback === undefined) {
      this.promise = new Promise<T>((resolve, reject) => {
        this.resolve = resolve;
        this.reject = reject;
      });
    }
  }

  release(): void {
    const callback = this.callback;
    if (callback !== undefined) {
      queueMicrotask(() => invoke(callback, this.error, this.value));
    } else if (this.error === null) {
      this.resolve!(this.value as T);
    } else {
      this.reject!(this.error);
    }
  }
}
