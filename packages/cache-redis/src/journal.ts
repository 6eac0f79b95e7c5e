import type { JournalEntry } from '@connector-kit/connector-core';
import type { ChainableCommander, Redis } from 'ioredis';
import { queueEncoded, sendEncoded, storedBytes, type Client, type PlannedCommand } from './commands';
import type { WriteRequest } from './requests';
import type { Argument, RecordArgument } from './resp';

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

/** One journaled write waiting in the batcher (see batcher.ts, Kind.Journaled). */
export interface JournaledWrite {
  key: string;
  /** The record to store, or null for a delete. */
  record: RecordArgument | null;
  ttlMs: number;
  mark: string;
  request: WriteRequest;
}

/** Most journaled writes in one script call (the script itself chunks its HSET and MSET). */
export const MAX_WRITES_PER_SCRIPT = 10_000;

/**
 * The journaled writes of one batcher segment against one journal, as ONE script call: one
 * command, one reply, marks and records applied atomically in issue order. Going through the
 * batcher like every other write keeps per-key order between journaled and plain writes (a
 * MULTI/EXEC through ioredis costs several commands per transaction: ~5× slower at concurrency 1).
 */
export class JournaledWritesCommand implements PlannedCommand {
  constructor(
    private readonly journalKey: string,
    private readonly writes: readonly JournaledWrite[],
    private readonly encoded: boolean,
  ) {}

  get bytes(): number {
    let bytes = 0;
    for (const w of this.writes) bytes += w.record ? w.record.data.byteLength : 0;
    return bytes;
  }

  /** EVAL's arguments after the script: the key count, KEYS (journal, then records), ARGV. */
  private evalArguments(): Argument[] {
    const keys: string[] = [this.journalKey];
    const argv: Argument[] = [];
    for (const w of this.writes) {
      keys.push(w.key);
      argv.push(w.record === null ? 'd' : String(w.ttlMs), w.record ?? '', w.mark, w.key);
    }
    return [String(keys.length), ...keys, ...argv];
  }

  /** The same for ioredis' own `eval` (records as their stored bytes). */
  private namedArguments(): [number, ...(string | Buffer)[]] {
    const [count, ...rest] = this.evalArguments();
    return [Number(count), ...rest.map((a) => (typeof a === 'string' ? a : storedBytes(a)))];
  }

  send(client: Client): Promise<unknown> {
    if (this.encoded) return sendEncoded(client, 'eval', [JOURNALED_WRITES_LUA, ...this.evalArguments()]);
    return client.eval(JOURNALED_WRITES_LUA, ...this.namedArguments());
  }

  queue(pipeline: ChainableCommander): void {
    if (this.encoded) return queueEncoded(pipeline, 'eval', [JOURNALED_WRITES_LUA, ...this.evalArguments()]);
    pipeline.eval(JOURNALED_WRITES_LUA, ...this.namedArguments());
  }

  settle(err: Error | null): void {
    for (const w of this.writes) {
      if (err) w.request.fail(err);
      else w.request.partDone();
    }
  }
}

/**
 * Every mark in the journal; `stripPrefix` turns stored keys back into connector keys. A set's
 * entry carries what is left of its record's TTL (PTTL, read in one pipeline after the marks).
 */
export async function readJournal(
  client: Redis,
  journalKey: string,
  stripPrefix: (key: string) => string,
): Promise<JournalEntry[]> {
  const marks = await client.hgetall(journalKey);
  const entries: JournalEntry[] = [];
  const pipeline = client.pipeline();
  const sets: JournalEntry[] = [];
  for (const [key, mark] of Object.entries(marks)) {
    const bar = mark.lastIndexOf('|');
    const op = mark.slice(bar + 1) === 'delete' ? 'delete' : 'set';
    const entry: JournalEntry = { key: stripPrefix(key), token: mark.slice(0, bar), op };
    entries.push(entry);
    if (op === 'set') {
      sets.push(entry);
      pipeline.pttl(key);
    }
  }
  if (sets.length === 0) return entries;
  const replies = (await pipeline.exec()) ?? [];
  sets.forEach((entry, i) => {
    const [err, ms] = replies[i] ?? [new Error('no reply to PTTL'), null];
    if (err) throw err;
    // -1: no expiry; -2: gone (recovery then finds the record missing and says so).
    if (typeof ms === 'number' && ms > 0) entry.ttlMs = ms;
  });
  return entries;
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
