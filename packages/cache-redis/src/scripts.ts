import type { Cluster, Pipeline, Redis } from 'ioredis';
import { HEADER_LAST_BYTE } from './record-format';

/**
 * The connector's Lua scripts, registered with ioredis' defineCommand (ioredis sends EVAL the
 * first time on each connection and EVALSHA afterwards, so a restarted server is no problem).
 * Names carry a prefix so they never clash with a caller's own commands on a shared client.
 */

/**
 * Compare-and-set: write ARGV[2] (with PX ARGV[3] unless it is 0) only if the stored value starts
 * with the header ARGV[1] (which ends with its ':'), or, for ARGV[1] = '', if the key is absent.
 */
const COMPARE_AND_SET_LUA = `
local expected = ARGV[1]
if expected == '' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif redis.call('GETRANGE', KEYS[1], 0, #expected - 1) ~= expected then
  return 0
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
`;

/** Headers of many keys (same slot) in one command: '' for a missing key. */
const HEADERS_LUA = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('GETRANGE', KEYS[i], 0, ${HEADER_LAST_BYTE}) end
return out
`;

/**
 * Many records with one expiry (same slot), each an atomic `SET key value PX ttl`, in issue order:
 * KEYS are the keys, ARGV the values and then the TTL. Sent as a plain EVAL of this text by the
 * batcher's own encoding (Redis caches it by its SHA), so a flushed script cache cannot reorder
 * writes the way a NOSCRIPT retry would.
 */
export const SET_WITH_TTL_LUA = `
local ttl = ARGV[#ARGV]
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'PX', ttl) end
return #KEYS
`;

export const COMPARE_AND_SET_COMMAND = 'connectorKitCompareAndSet';
export const SET_WITH_TTL_COMMAND = 'connectorKitSetWithTtl';
export const HEADERS_COMMAND = 'connectorKitHeaders';

/** The typed view of the defined commands (ioredis adds them at runtime). */
export interface ScriptCommands {
  connectorKitCompareAndSet(
    key: string,
    expectedHeader: string,
    stored: Buffer,
    ttlMs: number,
  ): Promise<number>;
  connectorKitHeadersBuffer(numberOfKeys: number, ...keys: string[]): Promise<Buffer[]>;
  connectorKitSetWithTtl(
    numberOfKeys: number,
    ...keysValuesTtl: (string | Buffer | number)[]
  ): Promise<number>;
}

export interface PipelineScriptCommands {
  connectorKitCompareAndSet(key: string, expectedHeader: string, stored: Buffer, ttlMs: number): Pipeline;
  connectorKitHeadersBuffer(numberOfKeys: number, ...keys: string[]): Pipeline;
  connectorKitSetWithTtl(numberOfKeys: number, ...keysValuesTtl: (string | Buffer | number)[]): Pipeline;
}

/** Defines the scripts on a client (idempotent). */
export function defineScripts(client: Redis | Cluster): void {
  const commands = client as unknown as Record<string, unknown>;
  if (typeof commands[COMPARE_AND_SET_COMMAND] !== 'function') {
    client.defineCommand(COMPARE_AND_SET_COMMAND, { numberOfKeys: 1, lua: COMPARE_AND_SET_LUA });
  }
  if (typeof commands[HEADERS_COMMAND] !== 'function') {
    client.defineCommand(HEADERS_COMMAND, { lua: HEADERS_LUA, readOnly: true });
  }
  if (typeof commands[SET_WITH_TTL_COMMAND] !== 'function') {
    client.defineCommand(SET_WITH_TTL_COMMAND, { lua: SET_WITH_TTL_LUA });
  }
}
