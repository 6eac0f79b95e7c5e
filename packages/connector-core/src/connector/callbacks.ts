import type { ConnectorError } from '../errors';
import type { Callback } from '../types';

/**
 * Returns the Promise, or — when a callback was given — calls it exactly once and returns
 * nothing. A callback that throws is the caller's bug: it is rethrown on its own tick so it
 * surfaces as an uncaught exception instead of corrupting the connector or becoming an
 * unhandled rejection.
 */
export function deliver<T>(promise: Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
  if (callback === undefined) return promise;
  promise.then(
    (value) => invoke(callback, null, value),
    (err: ConnectorError) => invoke(callback, err, undefined),
  );
  return undefined;
}

/** Calls `callback` with the outcome; a throw surfaces on its own tick, outside the connector. */
export function invoke<T>(callback: Callback<T>, err: ConnectorError | null, value: T | undefined): void {
  try {
    if (err) callback(err);
    else callback(null, value);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}
