import { ConnectorError } from '@connector-kit/connector-core';

/** memcached reads an exptime above 30 days as an absolute unix time, not a duration. */
export const MAX_RELATIVE_EXPTIME_S = 60 * 60 * 24 * 30;

/** memcached parses exptime as a signed 32-bit number: absolute expiry ends in January 2038. */
export const MAX_ABSOLUTE_EXPTIME_S = 2 ** 31 - 1;

/**
 * memcached's clock ticks once a second and an item expires at the tick where the clock reaches
 * its exptime, so an exptime of `s` seconds lives between `s - 1` and `s` seconds. One second is
 * added so that an entry never expires before its TTL.
 */
export const CLOCK_TICK_S = 1;

/**
 * Converts a kit TTL (ms, 0 = none) into memcached's exptime field.
 *
 * - TTLs round UP to whole seconds (1 ms → 1 s) plus one clock tick: an entry lives at least
 *   `ttl` ms and at most `ceil(ttl / 1000) + 1` seconds.
 * - Up to 30 days the exptime is that number of seconds; beyond, it is sent as the absolute unix
 *   time `ceil((now + ttl) / 1000) + 1`, which memcached compares with its own clock.
 * - A TTL that ends after 2038-01-19T03:14:07Z cannot be represented and is rejected.
 */
export function toExptime(ttlMs: number, nowMs: number = Date.now()): number {
  if (ttlMs === 0) return 0;
  if (!Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new ConnectorError(
      'INVALID_OPTION',
      `ttl must be a number of milliseconds >= 0, got ${String(ttlMs)}`,
    );
  }
  const seconds = Math.ceil(ttlMs / 1000) + CLOCK_TICK_S;
  if (seconds <= MAX_RELATIVE_EXPTIME_S) return seconds;
  const absolute = Math.ceil((nowMs + ttlMs) / 1000) + CLOCK_TICK_S;
  if (absolute > MAX_ABSOLUTE_EXPTIME_S) {
    throw new ConnectorError(
      'INVALID_OPTION',
      `ttl of ${ttlMs} ms would end after 2038-01-19T03:14:07Z, the latest expiry memcached can store ` +
        '(its absolute exptime is a signed 32-bit unix time); use a shorter ttl, or 0 for no expiry',
      { details: { ttl: ttlMs, limitUnixSeconds: MAX_ABSOLUTE_EXPTIME_S } },
    );
  }
  return absolute;
}
