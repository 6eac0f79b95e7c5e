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

/** SET (with PX) and the journal mark, atomically. */
export async function setJournaled(
  client: Redis,
  journalKey: string,
  key: string,
  stored: Buffer,
  ttlMs: number,
  token: string,
): Promise<void> {
  const tx = client.multi();
  if (ttlMs > 0) tx.set(key, stored, 'PX', ttlMs);
  else tx.set(key, stored);
  tx.hset(journalKey, key, `${token}|set`);
  throwOnFailure(await tx.exec());
}

/** DEL and the journal mark, atomically. */
export async function deleteJournaled(
  client: Redis,
  journalKey: string,
  key: string,
  token: string,
): Promise<void> {
  throwOnFailure(await client.multi().del(key).hset(journalKey, key, `${token}|delete`).exec());
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

function throwOnFailure(results: [Error | null, unknown][] | null): void {
  if (results === null) throw new Error('the Redis transaction was aborted');
  for (const [err] of results) if (err) throw err;
}
