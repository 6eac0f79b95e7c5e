import type { Codec } from '../codec';
import type { WriteRecord } from './records';

/*
 * The tiered store's short way into a tier built on BaseConnector. The store has already checked
 * the key against every tier's limits, validated and encoded the value, and bounds the whole
 * write by its own timeout, so a tier's public `set` would only repeat that work (a second key
 * check, options object, timer, promise and per-key chain on every write). A tier offers the
 * shortcut only while it is ready, keeps order on its own and shares the store's codec; it
 * returns null otherwise and the store uses the public method.
 *
 * The symbol is private to this copy of connector-core (not Symbol.for): the protocol may change
 * between versions, so only a store and tiers built on the same copy use it.
 */
export const DIRECT_WRITE: unique symbol = Symbol('connector-kit.direct-write');

/**
 * Told once when a tier's direct write is done. An object rather than a callback: the store's
 * queue ticket for the write is the listener itself, so a tiered set allocates no closure.
 */
export interface WriteListener {
  /** Null when the write is done, else why it failed (a ConnectorError). */
  writeSettled(err: unknown): void;
}

/** A write's completion callback: null when written, else why not (see BaseConnector._write). */
export type WriteDone = (err: unknown) => void;

/** Reports how `work` went to `done`. */
export function report(work: Promise<void>, done: WriteDone): void {
  work.then(() => done(null), done);
}

export interface DirectWritable {
  /**
   * Writes `record` (null: deletes) under `key` (without this tier's prefix), `ttl` ms (0: the
   * tier's default), and tells `listener` once it is done — no promise. False when the shortcut
   * does not apply now (nothing was written and the listener is never told).
   */
  [DIRECT_WRITE](
    key: string,
    record: WriteRecord | null,
    ttl: number,
    codec: Codec,
    listener: WriteListener,
  ): boolean;
}

export function isDirectWritable(connector: unknown): connector is DirectWritable {
  return (
    typeof connector === 'object' &&
    connector !== null &&
    typeof (connector as Partial<DirectWritable>)[DIRECT_WRITE] === 'function'
  );
}
