/**
 * The floor: a minimal correct implementation of the same guarantees, as a contender beside the
 * library, so that every ratio is also shown against what is physically possible on this machine.
 * SHA-256 record id (scope, operation, key) and fingerprint (the input's JSON), one Lua script to
 * compare and claim with a fenced lease on Redis' own clock, an owner-checked completion and
 * release, a typed replay (JSON with `Date`s tagged), raw EVALSHA and nothing else: no heartbeat, no
 * store timeout, no events, no key parsing, no bounds on what the memory variant holds.
 */
import { hash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const BEGIN = `
local r = redis.call('HMGET', KEYS[1], 's', 'f', 'r', 'l', 'n')
if r[1] == 'd' or r[1] == 'r' then
  if r[2] ~= ARGV[1] then return {3} end
  if r[1] == 'd' then return {1, r[3]} end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if r[1] == 'r' and tonumber(r[4]) > now then return {2, tonumber(r[4]) - now} end
local fence = (tonumber(r[5]) or 0) + 1
redis.call('HSET', KEYS[1], 's', 'r', 'f', ARGV[1], 'o', ARGV[2], 'l', now + tonumber(ARGV[3]), 'n', fence)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {0, fence}
`;
const COMPLETE = `
local r = redis.call('HMGET', KEYS[1], 's', 'o')
if r[1] ~= 'r' or r[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', 'd', 'r', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;
const RELEASE = `
local r = redis.call('HMGET', KEYS[1], 's', 'o')
if r[1] ~= 'r' or r[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', 'x')
redis.call('HDEL', KEYS[1], 'f')
return 1
`;

const LEASE_MS = 30_000;
const TTL_MS = 86_400_000;
const sha256 = (text: string) => hash('sha256', text);

/** Plain data with `Date`s, as JSON; each date tagged as `{"$d": ms}`. */
const encode = (value: unknown) =>
  JSON.stringify(value, function (this: Record<string, unknown>, key, item: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $d: raw.getTime() } : item;
  });
const decode = (text: string): unknown =>
  JSON.parse(text, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && '$d' in item ? new Date((item as { $d: number }).$d) : item,
  );

export interface FloorRequest<T> {
  scope: string | null;
  operation: string;
  key: string;
  input: unknown;
  run: () => Promise<T>;
}

export interface Floor {
  execute<T>(request: FloorRequest<T>): Promise<{ value: T; replayed: boolean }>;
}

type BeginReply = [0, number] | [1, string] | [2, number] | [3];

/** What one attempt needs from a record store: the three transitions. */
interface FloorStore {
  begin(id: string, fingerprint: string, owner: string): Promise<BeginReply>;
  complete(id: string, owner: string, result: string): Promise<boolean>;
  release(id: string, owner: string): Promise<boolean>;
}

function floorOn(store: FloorStore): Floor {
  return {
    async execute<T>({ scope, operation, key, input, run }: FloorRequest<T>) {
      const id = sha256(JSON.stringify([scope, operation, key]));
      const owner = randomUUID();
      const reply = await store.begin(id, sha256(JSON.stringify(input)), owner);
      if (reply[0] === 1) return { value: decode(reply[1]) as T, replayed: true };
      if (reply[0] !== 0) throw new Error(reply[0] === 2 ? 'in progress' : 'fingerprint mismatch');
      let value: T;
      try {
        value = await run();
      } catch (error) {
        await store.release(id, owner);
        throw error;
      }
      if (!(await store.complete(id, owner, encode(value)))) throw new Error('lost the record');
      return { value, replayed: false };
    },
  };
}

/** The floor on Redis: three scripts loaded once, each transition one raw EVALSHA. */
export async function createRedisFloor(redis: Redis, prefix: string): Promise<Floor> {
  const [begin, complete, release] = (await Promise.all(
    [BEGIN, COMPLETE, RELEASE].map((lua) => redis.script('LOAD', lua)),
  )) as string[];
  const keyOf = (id: string) => `${prefix}{${id}}`;
  return floorOn({
    begin: (id, fingerprint, owner) =>
      redis.evalsha(begin!, 1, keyOf(id), fingerprint, owner, LEASE_MS, TTL_MS) as Promise<BeginReply>,
    complete: async (id, owner, result) => (await redis.evalsha(complete!, 1, keyOf(id), owner, result, TTL_MS)) === 1,
    release: async (id, owner) => (await redis.evalsha(release!, 1, keyOf(id), owner)) === 1,
  });
}

interface MemoryRecord {
  state: 'running' | 'done' | 'free';
  fingerprint: string;
  owner: string;
  leaseUntil: number;
  fence: number;
  result: string;
  expiresAt: number;
}

/** The floor in memory: one Map, records changed in place. */
export function createMemoryFloor(): Floor {
  const records = new Map<string, MemoryRecord>();
  return floorOn({
    async begin(id, fingerprint, owner) {
      const now = Date.now();
      let record = records.get(id);
      if (record && record.expiresAt <= now) record = undefined;
      if (record && record.state !== 'free') {
        if (record.fingerprint !== fingerprint) return [3];
        if (record.state === 'done') return [1, record.result];
        if (record.leaseUntil > now) return [2, record.leaseUntil - now];
      }
      const fence = (record?.fence ?? 0) + 1;
      if (!record) {
        record = { state: 'running', fingerprint, owner, leaseUntil: 0, fence, result: '', expiresAt: 0 };
        records.set(id, record);
      }
      record.state = 'running';
      record.fingerprint = fingerprint;
      record.owner = owner;
      record.leaseUntil = now + LEASE_MS;
      record.fence = fence;
      record.expiresAt = now + TTL_MS;
      return [0, fence];
    },
    async complete(id, owner, result) {
      const record = records.get(id);
      if (record?.state !== 'running' || record.owner !== owner) return false;
      record.state = 'done';
      record.result = result;
      record.expiresAt = Date.now() + TTL_MS;
      return true;
    },
    async release(id, owner) {
      const record = records.get(id);
      if (record?.state !== 'running' || record.owner !== owner) return false;
      record.state = 'free';
      return true;
    },
  });
}
