import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run atomically by Redis, addressed by its SHA-1 so that the source is sent only once per server. */
export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

function defineScript(source: string): RedisScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Records one hit in a sliding window kept as a sorted set of hit times (score = time in ms).
 * KEYS[1] is the window key. ARGV is windowMs, limit and a member id unique to this hit.
 * Returns { allowed (1 or 0), remaining, retryAfterMs, resetMs }.
 *
 * The time comes from Redis (TIME), so kernel processes with skewed clocks share one timeline.
 * Scripts that read TIME and then write need effects replication, the default since Redis 5.
 * A hit at time t counts while now - t < windowMs, and a rejected hit is not recorded. Waits are
 * computed as windowMs minus the elapsed time, so a hit made now reports exactly windowMs.
 */
export const SLIDING_WINDOW_HIT = defineScript(`
local key = KEYS[1]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local member = ARGV[3]

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)

local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, member)
  count = count + 1
  allowed = 1
end

local remaining = 0
local retry_after = 0
if allowed == 1 then
  remaining = limit - count
else
  local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  retry_after = math.ceil(window - (now - tonumber(blocking[2])))
end

local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local reset = math.ceil(window - (now - tonumber(newest[2])))
redis.call('PEXPIRE', key, math.max(reset, 1))

return { allowed, remaining, retry_after, reset }
`);

/** Deletes KEYS[1] only when its value is the lock token ARGV[1]. Returns 1 when it deleted, 0 otherwise. */
export const RELEASE_LOCK = defineScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/** Sets KEYS[1] to expire in ARGV[2] ms only when its value is the lock token ARGV[1]. Returns 1 when it did, 0 otherwise. */
export const EXTEND_LOCK = defineScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/**
 * Runs `script` with EVALSHA, and with EVAL when the server does not have it cached yet
 * (after a restart or SCRIPT FLUSH). EVAL also caches it for the next call.
 */
export async function runScript(client: Redis, script: RedisScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  try {
    return await client.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}
