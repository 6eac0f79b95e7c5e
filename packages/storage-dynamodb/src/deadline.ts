/**
 * Request deadlines. Every request must be aborted once its operation's time is up (the SDK's own
 * requestTimeout bounds one attempt, not its retries). `AbortSignal.timeout` per request costs
 * ≈20 µs and leaves a timer armed for the whole timeout even after the request is done; instead,
 * requests started within one short window share one controller, aborted by one timer at the
 * last deadline of the window — so a request is aborted at most `windowMs` after its own deadline.
 */
import { setMaxListeners } from 'node:events';
import type { Deadline } from './batch';

/** The share of the timeout a request may outlive its deadline by, and its cap in ms. */
const WINDOW_SHARE = 1 / 50;
const MAX_WINDOW_MS = 100;

export class Deadlines {
  private signal: AbortSignal | null = null;
  private windowEnds = 0;
  private readonly windowMs: number;
  private readonly timers = new Map<NodeJS.Timeout, AbortController>();

  constructor(private readonly timeoutMs: number) {
    this.windowMs = Math.max(1, Math.min(MAX_WINDOW_MS, Math.floor(timeoutMs * WINDOW_SHARE)));
  }

  /** A deadline `timeoutMs` from now; its signal fires at most `windowMs` after that. */
  next(): Deadline {
    const now = Date.now();
    if (this.signal === null || now >= this.windowEnds) {
      const controller = new AbortController();
      // Every request of the window listens on it: no "possible memory leak" warning at 11.
      setMaxListeners(0, controller.signal);
      this.windowEnds = now + this.windowMs;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        controller.abort();
      }, this.timeoutMs + this.windowMs);
      timer.unref();
      this.timers.set(timer, controller);
      this.signal = controller.signal;
    }
    return { at: now + this.timeoutMs, signal: this.signal };
  }

  /**
   * At close: every operation has settled by then, so a request still running belongs to one
   * that timed out — abort them all now rather than when their timers fire.
   */
  abortAll(): void {
    for (const [timer, controller] of this.timers) {
      clearTimeout(timer);
      controller.abort();
    }
    this.timers.clear();
    this.signal = null;
  }
}
