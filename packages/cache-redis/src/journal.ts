import type { Redis } from 'ioredis';
import type { JournalEntry } from '@connector-kit/connector-core';

/**
 * The dirty-key journal a tiered store asks of its cache (connector-core's JournalingCache): a
 * Redis hash `<prefix><journal>` mapping each record key to `<token>|<op>`, written in the same
 * MULTI/EXEC transaction as the record itself, so a crash can never leave a written record
 * without its mark. Standalone Redis only: in a cluster the journal and the records live in
 * different slots and one transaction cannot span them.
 */

const CLEAR_LUA = `
local cleared = 0
for i = 1, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current and string.sub(current, 1, #ARGV[i + 1] + 1) == ARGV[i + 1] .. '|' then
    redis.call('HDEL', KEYS[1], ARGV[i])
    cleared = cleared + 1
  end
end
return cleared
`;

interface JournaledWrite {
  journalKey: string;
  key: string;
  /** The stored record, or null for a delete. */
  stored: Buffer | null;
  ttlMs: number;
  mark: string;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Journaled writes issued in the same tick share ONE MULTI/EXEC: their SETs/DELs in issue order,
 * then one HSET per journal with every mark — still atomic, at a fraction of the round trips.
 */
export class JournalWriter {
  private queued: JournaledWrite[] = [];
  private scheduled = false;

  constructor(private readonly client: () => Redis) {}

  set(journalKey: string, key: string, stored: Buffer, ttlMs: number, token: string): Promise<void> {
    return this.add(journalKey, key, stored, ttlMs, `${token}|set`);
  }

  delete(journalKey: string, key: string, token: string): Promise<void> {
    return this.add(journalKey, key, null, 0, `${token}|delete`);
  }

  private add(
    journalKey: string,
    key: string,
    stored: Buffer | null,
    ttlMs: number,
    mark: string,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ journalKey, key, stored, ttlMs, mark, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(() => this.flush());
      }
    });
  }

  private flush(): void {
    const writes = this.queued;
    this.queued = [];
    this.scheduled = false;
    let tx;
    try {
      tx = this.client().multi();
    } catch (err) {
      for (const w of writes) w.reject(err);
      return;
    }
    const marks = new Map<string, string[]>();
    for (const w of writes) {
      if (w.stored === null) tx.del(w.key);
      else if (w.ttlMs > 0) tx.set(w.key, w.stored, 'PX', w.ttlMs);
      else tx.set(w.key, w.stored);
      const fields = marks.get(w.journalKey) ?? [];
      fields.push(w.key, w.mark); // a later mark of the same key overwrites an earlier one
      marks.set(w.journalKey, fields);
    }
    for (const [journalKey, fields] of marks) tx.hset(journalKey, ...fields);
    tx.exec().then(
      (results) => {
        if (results === null) {
          for (const w of writes) w.reject(new Error('the Redis transaction was aborted'));
          return;
        }
        const markError = results.slice(writes.length).find(([err]) => err)?.[0];
        writes.forEach((w, i) => {
          const err = results[i]?.[0] ?? markError;
          if (err) w.reject(err);
          else w.resolve();
        });
      },
      (err: unknown) => {
        for (const w of writes) w.reject(err);
      },
    );
  }
}

/** Every mark in the journal; `stripPrefix` turns stored keys back into connector keys. */
export async function readJournal(
  client: Redis,
  journalKey: string,
  stripPrefix: (key: string) => string,
): Promise<JournalEntry[]> {
  const marks = await client.hgetall(journalKey);
  return Object.entries(marks).map(([key, mark]) => {
    const bar = mark.lastIndexOf('|');
    return {
      key: stripPrefix(key),
      token: mark.slice(0, bar),
      op: mark.slice(bar + 1) === 'delete' ? 'delete' : 'set',
    };
  });
}

/** Removes marks whose token is unchanged (a newer write keeps its own). */
export async function clearJournal(
  client: Redis,
  journalKey: string,
  entries: readonly { key: string; token: string }[],
): Promise<void> {
  if (entries.length === 0) return;
  const args: string[] = [];
  for (const entry of entries) args.push(entry.key, entry.token);
  await client.eval(CLEAR_LUA, 1, journalKey, ...args);
}
