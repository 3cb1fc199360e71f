// The Redis store's scripts as they were before the BEGIN rewrite (December 2026), kept as the reference of the differential fuzz.
/**
 * The Lua scripts of the Redis store: one per transition, each an atomic compare-and-set on one
 * hash (fields state, fp, owner, lease, fence, tk, result). Time comes from the Redis server's own
 * clock (`TIME`), so leases do not depend on the clocks of the application servers.
 *
 * Every script is idempotent for its own owner: ioredis re-sends a script whose reply was lost
 * (a dropped connection), and the re-sent script must answer as the first did. So the owner token
 * stays on the record after `complete` and `release`, and `tk` keeps the takeover flag of the
 * acquisition.
 */

/**
 * The first line of the scripts that finish or keep alive an attempt whose body already runs:
 * Redis (7.0 or newer) runs them even at its `maxmemory` limit. Refusing them would leave the record
 * running until its lease lapsed, and a retry would run the body again; a new `begin` is still
 * refused under memory pressure (nothing runs).
 */
const ALLOW_OOM = '#!lua flags=allow-oom';

const NOW_MS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/**
 * KEYS: record. ARGV: fingerprint, owner, leaseMs, ttlMs. Returns {status, …}: {'acquired', fence,
 * takeover 0|1}, {'completed', result}, {'running', remaining ms} or {'mismatch'}. A begin re-sent by
 * the owner that holds the running record gets its first answer again, changing nothing.
 */
export const BEGIN = `
local record = redis.call('HMGET', KEYS[1], 'state', 'fp', 'lease', 'result', 'owner', 'fence', 'tk')
local state = record[1]
if state == 'done' or state == 'running' then
  if record[2] ~= ARGV[1] then return {'mismatch'} end
  if state == 'done' then return {'completed', record[4]} end
  if record[5] == ARGV[2] then return {'acquired', tonumber(record[6]), tonumber(record[7])} end
end
${NOW_MS}
if state == 'running' then
  local remaining = tonumber(record[3]) - now
  if remaining > 0 then return {'running', remaining} end
end
local takeover = 0
if state == 'running' then takeover = 1 end
local fence = redis.call('HINCRBY', KEYS[1], 'fence', 1)
redis.call('HSET', KEYS[1], 'state', 'running', 'fp', ARGV[1], 'owner', ARGV[2], 'lease', now + tonumber(ARGV[3]), 'tk', takeover)
redis.call('HDEL', KEYS[1], 'result')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'acquired', fence, takeover}
`;

/**
 * KEYS: record. ARGV: owner, leaseMs. Renews the lease of the owner's running record, and the
 * record's TTL where it would end sooner, so a record never expires under a running owner.
 * Returns 1, or 0 when the owner no longer runs it.
 */
export const EXTEND = `${ALLOW_OOM}${NOW_MS}
local record = redis.call('HMGET', KEYS[1], 'state', 'owner')
if record[1] ~= 'running' or record[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[2]))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

/**
 * KEYS: record. ARGV: owner, result, ttlMs. Returns 1 when stored (or already stored by this owner:
 * a re-sent complete writes nothing), 0 when the owner lost the record.
 */
export const COMPLETE = `${ALLOW_OOM}
local record = redis.call('HMGET', KEYS[1], 'state', 'owner')
if record[2] ~= ARGV[1] then return 0 end
if record[1] == 'done' then return 1 end
if record[1] ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'result', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease', 'tk')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * KEYS: record. ARGV: owner. Frees the record, keeping its fence and TTL. Returns 1 (also when this
 * owner already freed it), or 0 when the owner lost the record.
 */
export const RELEASE = `${ALLOW_OOM}
local record = redis.call('HMGET', KEYS[1], 'state', 'owner')
if record[2] ~= ARGV[1] then return 0 end
if record[1] == 'free' then return 1 end
if record[1] ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'free')
redis.call('HDEL', KEYS[1], 'lease', 'fp', 'tk')
return 1
`;
