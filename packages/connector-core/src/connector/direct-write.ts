import type { Codec } from '../codec';
import type { ConnectorError } from '../errors';
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

export interface DirectWritable {
  /**
   * Writes `record` (null: deletes) under `key` (without this tier's prefix), `ttl` ms (0: the
   * tier's default). Null when the shortcut does not apply now. `settled` is called once the
   * write is done, with null or the error the promise then rejects with, just before the promise
   * settles (so the store needs no promise reaction of its own).
   */
  [DIRECT_WRITE](
    key: string,
    record: WriteRecord | null,
    ttl: number,
    codec: Codec,
    settled?: (err: ConnectorError | null) => void,
  ): Promise<void> | null;
}

export function isDirectWritable(connector: unknown): connector is DirectWritable {
  return (
    typeof connector === 'object' &&
    connector !== null &&
    typeof (connector as Partial<DirectWritable>)[DIRECT_WRITE] === 'function'
  );
}
