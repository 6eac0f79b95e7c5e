import { HEADER_LAST_BYTE } from './record-format';

/**
 * The connector's Lua scripts. Each call sends `EVAL` with the script's text (Redis caches it by
 * its SHA), never ioredis' defined commands: their `EVALSHA` is retried as `EVAL` after a
 * NOSCRIPT reply, later than the commands sent after it, which could reorder writes; and in a
 * cluster ioredis routes a defined script with a variable key count by its first argument (the
 * count), not by its keys. ioredis routes `EVAL` by its first key.
 */

/**
 * Compare-and-set: write ARGV[2] (with PX ARGV[3] unless it is 0) only if the stored value starts
 * with the header ARGV[1] (which ends with its ':'), or, for ARGV[1] = '', if the key is absent.
 */
export const COMPARE_AND_SET_LUA = `
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
export const HEADERS_LUA = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('GETRANGE', KEYS[i], 0, ${HEADER_LAST_BYTE}) end
return out
`;

/**
 * Many records with one expiry (same slot), each an atomic `SET key value PX ttl`, in issue order:
 * KEYS are the keys, ARGV the values and then the TTL.
 */
export const SET_WITH_TTL_LUA = `
local ttl = ARGV[#ARGV]
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'PX', ttl) end
return #KEYS
`;

/**
 * `EVAL` with Buffer replies: ioredis has it at runtime (every command has a `…Buffer` twin) but
 * leaves it out of its types.
 */
export interface EvalBuffer<R> {
  evalBuffer(script: string, numberOfKeys: number, ...keysAndArgs: (string | Buffer | number)[]): R;
}
