import type { Cluster, Redis } from 'ioredis';
import type { BeginOutcome, IdempotencyStore } from '../core/store.js';
import { createDeadlines } from './redis-deadlines.js';
import { BEGIN, COMPLETE, EXTEND, RELEASE } from './redis-scripts.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis client: a `Redis` (single node or Sentinel) or a `Cluster`. Required. */
  redis: Redis | Cluster;
  /** Prefix of every key this store writes. Defaults to `'idem:'`. */
  prefix?: string;
  /**
   * Longest wait for one Redis call, in milliseconds; a slower call fails, so a request never
   * hangs while Redis is away. Defaults to `2_000`.
   */
  timeout?: number;
}

/** Defaults of {@link RedisStoreOptions}. */
export const redisStoreDefaults = { prefix: 'idem:', timeout: 2_000 } as const;

type ScriptReply = [string, (string | number)?, number?];

interface IdempotencyCommands {
  idempotencyBegin(
    key: string,
    fingerprint: string,
    owner: string,
    leaseMs: number,
    ttlMs: number,
  ): Promise<ScriptReply>;
  idempotencyExtend(key: string, owner: string, leaseMs: number): Promise<number>;
  idempotencyComplete(key: string, owner: string, result: string, ttlMs: number): Promise<number>;
  idempotencyRelease(key: string, owner: string): Promise<number>;
}

const SCRIPTS = {
  idempotencyBegin: BEGIN,
  idempotencyExtend: EXTEND,
  idempotencyComplete: COMPLETE,
  idempotencyRelease: RELEASE,
};

/**
 * A store on Redis. Each record is one hash under `<prefix>{<record id>}` (one Cluster slot per
 * record); each transition is one Lua script sent with EVALSHA. A replay costs one round trip,
 * a first execution two. ioredis re-sends a script whose reply was lost with its connection; each
 * script answers a re-send by the same owner as it answered the first time.
 */
export function createRedisStore(options: RedisStoreOptions): IdempotencyStore {
  const { redis, prefix = redisStoreDefaults.prefix, timeout = redisStoreDefaults.timeout } = options;
  for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 1, lua });
  const commands = redis as unknown as IdempotencyCommands;
  const keyOf = (id: string) => `${prefix}{${id}}`;
  const bounded = createDeadlines(timeout, () => new Error(`Redis did not answer within ${timeout} ms`));

  return {
    async begin({ id, fingerprint, owner, leaseMs, ttlMs }): Promise<BeginOutcome> {
      let reply: ScriptReply;
      try {
        reply = await bounded(commands.idempotencyBegin(keyOf(id), fingerprint, owner, leaseMs, ttlMs));
      } catch (error) {
        // A failed begin may still reach Redis later (ioredis' offline queue replays it after a
        // reconnect) and would hold the key for a lease; queue a release for the same owner behind it.
        commands.idempotencyRelease(keyOf(id), owner).catch(() => {});
        throw error;
      }
      const [status, value, takeover] = reply;
      switch (status) {
        case 'acquired':
          return { status, fence: Number(value), takeover: takeover === 1 };
        case 'completed':
          return { status, result: String(value) };
        case 'running':
          return { status, leaseRemainingMs: Number(value) };
        default:
          return { status: 'mismatch' };
      }
    },
    async extend({ id, owner, leaseMs }) {
      return (await bounded(commands.idempotencyExtend(keyOf(id), owner, leaseMs))) === 1;
    },
    async complete({ id, owner, result, ttlMs }) {
      return (await bounded(commands.idempotencyComplete(keyOf(id), owner, result, ttlMs))) === 1;
    },
    async release({ id, owner }) {
      return (await bounded(commands.idempotencyRelease(keyOf(id), owner))) === 1;
    },
  };
}
