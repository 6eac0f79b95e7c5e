import type { Cluster, Pipeline, Redis } from 'ioredis';
import { HEADER_LAST_BYTE } from './record-format';

/**
 * The connector's two Lua scripts, registered with ioredis' defineCommand (ioredis sends EVAL
 * the first time on each connection and EVALSHA afterwards, so a restarted server is no problem).
 * Names carry a prefix so they never clash with a caller's own commands on a shared client.
 */

/** Compare-and-set: write ARGV[2] (PX ARGV[3] unless 0) only if the header equals ARGV[1] ('' = absent). */
const COMPARE_AND_SET_LUA = `
local current = redis.call('GETRANGE', KEYS[1], 0, ${HEADER_LAST_BYTE})
if current ~= ARGV[1] then return 0 end
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

export const COMPARE_AND_SET_COMMAND = 'connectorKitCompareAndSet';
export const HEADERS_COMMAND = 'connectorKitHeaders';

/** The typed view of the defined commands (ioredis adds them at runtime). */
export interface ScriptCommands {
  connectorKitCompareAndSet(key: string, expectedHeader: Buffer, stored: Buffer, ttlMs: number): Promise<number>;
  connectorKitHeadersBuffer(numberOfKeys: number, ...keys: string[]): Promise<Buffer[]>;
}

export interface PipelineScriptCommands {
  connectorKitCompareAndSet(key: string, expectedHeader: Buffer, stored: Buffer, ttlMs: number): Pipeline;
  connectorKitHeadersBuffer(numberOfKeys: number, ...keys: string[]): Pipeline;
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
}
