/**
 * The Lua scripts of the Redis store: one per transition, each an atomic compare-and-set on one
 * hash (fields state, fp, owner, lease, fence, tk, result). Time comes from the Redis server's own
 * clock (`TIME`), so leases do not depend on the clocks of the application servers.
 *
 * Every script is idempotent for its own owner: ioredis re-sends a script whose reply was lost
 * (a dropped connection), and the re-sent script must answer as the first did. So the owner token
 * stays on the record after `complete` and `release`, and `tk` keeps the takeover flag of the
 * acquisition (through releases, until an attempt completes).
 */

/**
 * The first line of the scripts that finish or keep alive an attempt whose body already runs:
 * Redis (7.0 or newer) runs them even at its `maxmemory` limit. Refusing them would leave the record
 * running until its lease lapsed, and a retry would run the body again; a new `begin` is still
 * refused under memory pressure (nothing runs).
 */
const ALLOW_OOM = '#!lua flags=allow-oom';

/**
 * The first lines of the scripts that carry no `#!lua` line (BEGIN, INSPECT: Redis 6 would run
 * them, and refuse only the others, after a body ran): refuses Redis older than 7.0, which has no
 * `redis.REDIS_VERSION_NUM`, before anything is read or written. Costs no Redis command.
 */
const REDIS_7 = `if not redis.REDIS_VERSION_NUM then return redis.error_reply('idempotent-mutations needs Redis 7.0 or newer') end`;

/** Sets `now` (a local the script declares) to the Redis server's clock in milliseconds. */
const NOW_MS = `local clock = redis.call('TIME')
now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * KEYS: record. ARGV: fingerprint, owner, leaseMs, ttlMs. Returns {status, …}: {'acquired', fence,
 * takeover 0|1}, {'completed', result}, {'running', remaining ms} or {'mismatch'}. A begin re-sent by
 * the owner that holds the running record gets its first answer again, changing nothing.
 *
 * `takeover` is 1 when an attempt before this one may have left partial work: it took over an
 * expired lease, or the record was freed by an attempt that itself took over. The flag (`tk`) stays
 * set through releases until an attempt completes.
 *
 * Kept to few commands, each costing more inside a script than sent alone: a replay reads three
 * fields with one call; a first acquisition makes four calls (read, clock, write, expiry); taking
 * over or re-acquiring a freed record reads the other fields with a fifth. A running or freed record
 * has no result field (only `complete` writes one, and a done record is never acquired again), so
 * none is deleted.
 */
export const BEGIN = `${REDIS_7}
local head = redis.call('HMGET', KEYS[1], 'state', 'fp', 'result')
local state = head[1]
if state == 'done' or state == 'running' then
  if head[2] ~= ARGV[1] then return {'mismatch'} end
  if state == 'done' then return {'completed', head[3]} end
end
local fence = 1
local takeover = 0
local now
if state then
  local record = redis.call('HMGET', KEYS[1], 'owner', 'lease', 'fence', 'tk')
  if state == 'running' and record[1] == ARGV[2] then return {'acquired', tonumber(record[3]), tonumber(record[4])} end
  ${NOW_MS}
  if state == 'running' then
    local remaining = tonumber(record[2]) - now
    if remaining > 0 then return {'running', remaining} end
    takeover = 1
  elseif record[4] == '1' then
    takeover = 1
  end
  fence = (tonumber(record[3]) or 0) + 1
else
  ${NOW_MS}
end
redis.call('HSET', KEYS[1], 'state', 'running', 'fp', ARGV[1], 'owner', ARGV[2], 'lease', now + tonumber(ARGV[3]), 'fence', fence, 'tk', takeover)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'acquired', fence, takeover}
`;

/**
 * KEYS: record. ARGV: owner, leaseMs. Renews the lease of the owner's running record, and the
 * record's TTL where it would end sooner, so a record never expires under a running owner.
 * Returns 1, or 0 when the owner no longer runs it.
 */
export const EXTEND = `${ALLOW_OOM}
local now
${NOW_MS}
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
 * KEYS: record. ARGV: owner. Frees the record, keeping its fence, its takeover flag and its TTL.
 * Returns 1 (also when this owner already freed it), or 0 when the owner lost the record.
 */
export const RELEASE = `${ALLOW_OOM}
local record = redis.call('HMGET', KEYS[1], 'state', 'owner')
if record[2] ~= ARGV[1] then return 0 end
if record[1] == 'free' then return 1 end
if record[1] ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'free')
redis.call('HDEL', KEYS[1], 'lease', 'fp')
return 1
`;

/**
 * KEYS: record. ARGV: '1' to read the result too. For an operator, never on a request's path.
 * Returns {state, fence, tk, lease, pttl, now, result}, every item a string ('' where the record
 * has no such field; state '' when there is no record), read in one atomic step on the server clock.
 */
export const INSPECT = `${REDIS_7}
local record = redis.call('HMGET', KEYS[1], 'state', 'fence', 'tk', 'lease', 'result')
if not record[1] then return {''} end
local now
${NOW_MS}
local result = ''
if ARGV[1] == '1' then result = record[5] or '' end
return {record[1], record[2] or '', record[3] or '', record[4] or '', tostring(redis.call('PTTL', KEYS[1])), tostring(now), result}
`;

/**
 * KEYS: record. Deletes the record whatever its state, for an operator: a running holder's later
 * extend, complete or release then finds no record of its own and is refused as stale. Returns 1
 * when there was a record, 0 when there was none.
 */
export const FORGET = `${ALLOW_OOM}
return redis.call('DEL', KEYS[1])
`;
