import { randomBytes } from 'node:crypto';
import { ConnectorError, type Codec, type ErrorCode } from '@connector-kit/connector-core';
import { sleep } from '../services/wait';

/** A random prefix so runs (and groups) never see each other's keys. */
export function randomPrefix(): string {
  return `spec-${randomBytes(6).toString('hex')}:`;
}

export function randomKey(label = 'k'): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

/** Awaits a promise that must reject with a ConnectorError of `code`; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<ConnectorError> {
  let outcome: unknown;
  try {
    await promise;
    outcome = 'resolved';
  } catch (err) {
    outcome = err;
  }
  if (!(outcome instanceof ConnectorError)) {
    fail(
      `expected a ConnectorError with code ${code}, got ${outcome === 'resolved' ? 'success' : String(outcome)}`,
    );
    throw new Error('unreachable');
  }
  expect(outcome.code).withContext(outcome.message).toBe(code);
  return outcome;
}

/** Waits until `predicate` holds, polling; fails after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export { sleep } from '../services/wait';

/** A string value whose serialised size under `codec` is exactly `bytes`. */
export function valueOfEncodedSize(codec: Codec, bytes: number): string {
  // Header sizes differ by codec and length class: start from the length and step down.
  for (let length = bytes; length >= 0 && length >= bytes - 64; length--) {
    const candidate = 'x'.repeat(length);
    if (codec.encode(candidate).byteLength === bytes) return candidate;
  }
  throw new Error(`cannot build a value of exactly ${bytes} encoded bytes with codec ${codec.name}`);
}

/** Collects unhandled rejections while `body` runs. */
export async function withUnhandledRejectionWatch(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', listener);
  try {
    await body();
    await sleep(50);
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}
