import type { Connector, SetOptions } from '../types';

/** One dirty key recorded by a journaling cache: written to the cache, not yet to storage. */
export interface JournalEntry {
  key: string;
  /** Unique per write; clearing only removes the entry if it still carries this token. */
  token: string;
  op: 'set' | 'delete';
  /**
   * For a set whose cached value expires: its time to live left when the journal was read, ms.
   * Recovery gives storage what is left of the TTL, as the lost process would have.
   */
  ttlMs?: number;
}

/**
 * A cache tier that can record dirty keys ATOMICALLY with its writes (Redis: one MULTI or Lua
 * script). A tiered store uses it so that a process killed between the cache acknowledgement and
 * the storage write loses nothing: the next process reads the journal and completes the writes.
 * Keys in these methods are the connector's own keys (before its prefix), like every method.
 */
export interface JournalingCache extends Connector {
  readonly journaling: true;
  /** Writes the value and records `{ key, token, op: 'set' }` in journal `journal`, atomically. */
  setJournaled(
    key: string,
    value: unknown,
    options: SetOptions & { journal: string; token: string },
  ): Promise<void>;
  /** Deletes the key and records `{ key, token, op: 'delete' }`, atomically. */
  deleteJournaled(key: string, options: { journal: string; token: string }): Promise<void>;
  /** Every entry currently in the journal (with what is left of a set's TTL, if it has one). */
  readJournal(journal: string): Promise<JournalEntry[]>;
  /** Removes each entry whose token is unchanged (a newer write keeps its mark). */
  clearJournal(journal: string, entries: readonly { key: string; token: string }[]): Promise<void>;
}

export function isJournalingCache(connector: Connector): connector is JournalingCache {
  return (connector as Partial<JournalingCache>).journaling === true;
}
