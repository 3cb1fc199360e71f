/**
 * The Lua scripts of the Redis store: one per transition, each an atomic compare-and-set on one
 * hash (fields state, fp, owner, lease, fence, result). Time comes from the Redis server's own
 * clock (`TIME`), so leases do not depend on the clocks of the application servers.
 */

const NOW_MS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/** KEYS: record. ARGV: fingerprint, owner, leaseMs, ttlMs. Returns {status, …}. */
export const BEGIN = `
local record = redis.call('HMGET', KEYS[1], 'state', 'fp', 'lease', 'result')
local state = record[1]
if state == 'done' or state == 'running' then
  if record[2] ~= ARGV[1] then return {'mismatch'} end
  if state == 'done' then return {'completed', record[4]} end
end
${NOW_MS}
if state == 'running' then
  local remaining = tonumber(record[3]) - now
  if remaining > 0 then return {'running', remaining} end
end
local fence = redis.call('HINCRBY', KEYS[1], 'fence', 1)
redis.call('HSET', KEYS[1], 'state', 'running', 'fp', ARGV[1], 'owner', ARGV[2], 'lease', now + tonumber(ARGV[3]))
redis.call('HDEL', KEYS[1], 'result')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if state == 'running' then return {'acquired', fence, 1} end
return {'acquired', fence, 0}
`;

/**
 * KEYS: record. ARGV: owner, leaseMs. Renews the lease, and the record's TTL where it would end
 * sooner, so a record never expires under a running owner. Returns 1, or 0 when the owner lost it.
 */
export const EXTEND = `${NOW_MS}
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[2]))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

/** KEYS: record. ARGV: owner, result, ttlMs. Returns 1 when stored, 0 when the owner lost the record. */
export const COMPLETE = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'result', ARGV[2])
redis.call('HDEL', KEYS[1], 'owner', 'lease')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** KEYS: record. ARGV: owner. Frees the record, keeping its fence. Returns 1, or 0 when the owner lost it. */
export const RELEASE = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'free')
redis.call('HDEL', KEYS[1], 'owner', 'lease', 'fp')
return 1
`;
