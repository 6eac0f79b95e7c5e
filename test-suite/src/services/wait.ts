/**
 * Polling with a deadline. Every wait in the launchers goes through here so that nothing can hang:
 * a wait either succeeds or throws a message saying what was awaited and the last failure seen.
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitOptions {
  /** Total time allowed, in milliseconds. */
  timeoutMs: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** What is being awaited, for the error message (e.g. `redis-server on 127.0.0.1:6390`). */
  what: string;
  /**
   * Called before every attempt; throwing aborts the wait at once with that error. Used to stop
   * waiting for a port as soon as the server process has died.
   */
  abortIf?: () => void;
}

/**
 * Calls `attempt` until it resolves to a value other than `false`/`undefined`, or the deadline
 * passes. A rejecting attempt counts as "not yet" and its message is reported on timeout.
 */
export async function waitUntil<T>(
  attempt: () => Promise<T | false | undefined>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastError = '';
  for (;;) {
    options.abortIf?.();
    try {
      const result = await attempt();
      if (result !== false && result !== undefined) return result;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    options.abortIf?.();
    if (Date.now() + interval > deadline) {
      const detail = lastError ? ` (last error: ${lastError})` : '';
      throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${options.what}${detail}`);
    }
    await sleep(interval);
  }
}

/** Rejects with `message` if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
