import type { Redis } from 'ioredis';
import { TickBatcher, type BatchedCall, type JournalEntry } from '@connector-kit/connector-core';
import { encodeRecord } from './record-format';
import { EncodedCommand, encodeCommand, type RecordArgument } from './resp';

/**
 * The dirty-key journal a tiered store asks of its cache (connector-core's JournalingCache): a
 * Redis hash `<prefix><journal>` mapping each record key to `<token>|<op>`, written in the same
 * atomic script as the record itself, so a crash can never leave a written record
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

/**
 * The journaled writes of one tick against one journal, as ONE script (scripts run atomically):
 * KEYS[1] is the journal hash, KEYS[2..] the records; ARGV holds, per record, `d` (delete) or
 * its TTL in ms (`0`: none), the stored bytes, the mark, and the record's name in the journal
 * (its key as the connector knows it: an ioredis keyPrefix applies to KEYS, not to hash fields).
 * Every mark is written before any record, so not even a failing command can leave a record
 * written without its mark. Runs of plain sets go out as one MSET and the marks as one HSET
 * (chunked below Lua's unpack limit): a redis.call per write cost Redis ~10 µs a write.
 */
const JOURNALED_WRITES_LUA = `
local chunk = 1000
local marks = {}
for i = 2, #KEYS do
  local a = (i - 2) * 4
  marks[#marks + 1] = ARGV[a + 4]
  marks[#marks + 1] = ARGV[a + 3]
end
for c = 1, #marks, 2 * chunk do
  redis.call('HSET', KEYS[1], unpack(marks, c, math.min(c + 2 * chunk - 1, #marks)))
end
local run = {}
local function flushRun()
  if #run > 0 then redis.call('MSET', unpack(run)) end
  run = {}
end
for i = 2, #KEYS do
  local a = (i - 2) * 4
  local ttl = ARGV[a + 1]
  if ttl == '0' then
    run[#run + 1] = KEYS[i]
    run[#run + 1] = ARGV[a + 2]
    if #run >= 2 * chunk then flushRun() end
  else
    flushRun()
    if ttl == 'd' then redis.call('DEL', KEYS[i])
    else redis.call('SET', KEYS[i], ARGV[a + 2], 'PX', ttl) end
  end
end
flushRun()
return #KEYS - 1
`;

interface JournaledWrite {
  journalKey: string;
  key: string;
  /** The record to store, or null for a delete. */
  record: RecordArgument | null;
  ttlMs: number;
  mark: string;
}

type JournaledCall = BatchedCall<JournaledWrite, void>;

/** Most journaled writes in one script call (the script itself chunks its HSET and MSET). */
const MAX_WRITES_PER_SCRIPT = 10_000;

/** The connection journaled writes go to, and whether our own command encoding may be used. */
export interface JournalConnection {
  client: Redis;
  /** False when ioredis must build the command (e.g. a caller's client with a keyPrefix). */
  encoded: boolean;
}

/**
 * Journaled writes issued in the same tick share one script call per journal: one command, one
 * reply, the marks and records applied atomically in issue order. (A MULTI/EXEC through ioredis
 * costs several commands and writes per transaction: ~5× slower at concurrency 1.)
 */
export class JournalWriter {
  private readonly batcher = new TickBatcher<JournaledWrite, void>(
    (calls) => this.flush(calls),
    MAX_WRITES_PER_SCRIPT,
  );

  constructor(private readonly connection: () => JournalConnection) {}

  set(journalKey: string, key: string, record: RecordArgument, ttlMs: number, token: string): Promise<void> {
    return this.batcher.add({ journalKey, key, record, ttlMs, mark: `${token}|set` });
  }

  delete(journalKey: string, key: string, token: string): Promise<void> {
    return this.batcher.add({ journalKey, key, record: null, ttlMs: 0, mark: `${token}|delete` });
  }

  private async flush(calls: JournaledCall[]): Promise<void> {
    const connection = this.connection(); // throwing fails every call of the batch
    const byJournal = new Map<string, JournaledCall[]>();
    for (const call of calls) {
      const same = byJournal.get(call.input.journalKey);
      if (same) same.push(call);
      else byJournal.set(call.input.journalKey, [call]);
    }
    await Promise.all([...byJournal].map(([journalKey, same]) => this.send(connection, journalKey, same)));
  }

  private send(
    { client, encoded }: JournalConnection,
    journalKey: string,
    calls: JournaledCall[],
  ): Promise<void> {
    const keys: string[] = [journalKey];
    const args: (string | RecordArgument)[] = [];
    for (const { input: w } of calls) {
      keys.push(w.key);
      args.push(w.record === null ? 'd' : String(w.ttlMs), w.record ?? '', w.mark, w.key);
    }
    let reply: Promise<unknown>;
    try {
      if (encoded) {
        const command = new EncodedCommand(
          'eval',
          encodeCommand('EVAL', [JOURNALED_WRITES_LUA, String(keys.length), ...keys, ...args]),
        );
        client.sendCommand(command);
        reply = command.promise as Promise<unknown>;
      } else {
        const plain = args.map((a) => (typeof a === 'string' ? a : encodeRecord(a.version, a.data)));
        reply = client.eval(JOURNALED_WRITES_LUA, keys.length, ...keys, ...plain);
      }
    } catch (err) {
      reply = Promise.reject(err);
    }
    return reply.then(
      () => {
        for (const call of calls) call.resolve();
      },
      (err: unknown) => {
        for (const call of calls) call.reject(err);
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
