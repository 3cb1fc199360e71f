import type { BeginOutcome, IdempotencyStore, StoredRecordView } from '../core/store.js';
import { loadScript, scriptingClient, type RedisClient } from './redis-client.js';
import { createDeadlines } from './redis-deadlines.js';
import { BEGIN, COMPLETE, EXTEND, FORGET, INSPECT, RELEASE } from './redis-scripts.js';

export type { IoredisScriptingClient, NodeRedisScriptingClient, RedisClient } from './redis-client.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected Redis client: ioredis (`new Redis(…)` for a single node or Sentinel, `new
   * Cluster(…)`) or node-redis, the `redis` package (`createClient(…)`, `createCluster(…)`, after
   * `connect()`). Required.
   */
  redis: RedisClient;
  /** Prefix of every key this store writes. Defaults to `'idem:'`. */
  prefix?: string;
  /**
   * Longest wait for one Redis call, in milliseconds (a whole number ≥ 1); a slower call fails, so
   * a request never hangs while Redis is away. Defaults to `2_000`.
   */
  timeout?: number;
}

/** Defaults of {@link RedisStoreOptions}. */
export const redisStoreDefaults = { prefix: 'idem:', timeout: 2_000 } as const;

/** The Redis store: an {@link IdempotencyStore} with the optional operator members. */
export interface RedisStore extends IdempotencyStore {
  /**
   * Resolves once Redis runs one of the store's (read-only) scripts; rejects within `timeout` when
   * it cannot be reached or cannot run them (an ACL user without `@scripting`, Redis older than 7.0).
   */
  ping(): Promise<void>;
  inspect(id: string, options?: { includeResult?: boolean }): Promise<StoredRecordView | undefined>;
  forget(id: string): Promise<boolean>;
}

type ScriptReply = [string, (string | number)?, (string | number)?];
type InspectReply = [string, string?, string?, string?, string?, string?, string?];

const scripts = {
  begin: loadScript(BEGIN),
  extend: loadScript(EXTEND),
  complete: loadScript(COMPLETE),
  release: loadScript(RELEASE),
  inspect: loadScript(INSPECT),
  forget: loadScript(FORGET),
};

/**
 * A store on Redis. Each record is one hash under `<prefix>{<record id>}` (one Cluster slot per
 * record); each transition is one Lua script sent with EVALSHA (EVAL where the node does not have
 * it yet). A replay costs one round trip, a first execution two. Both clients re-send a command
 * whose reply was lost with its connection (ioredis always, node-redis from its offline queue); each
 * script answers a re-send by the same owner as it answered the first time.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { prefix = redisStoreDefaults.prefix, timeout = redisStoreDefaults.timeout } = options;
  if (!Number.isSafeInteger(timeout) || timeout < 1)
    throw new TypeError(`redis store option "timeout" must be a whole number ≥ 1, got ${timeout}.`);
  const redis = scriptingClient(options.redis);
  const keyOf = (id: string) => [`${prefix}{${id}}`];
  const bounded = createDeadlines(timeout, () => new Error(`Redis did not answer within ${timeout} ms`));
  // An integer reply may come as a string (ioredis `stringNumbers`, a node-redis type mapping).
  const isOne = (reply: unknown) => Number(reply) === 1;
  // Every key the client writes: an ioredis `keyPrefix` keeps two stores apart just as `prefix` does.
  const keySpace = redis.keyPrefix + prefix;

  return {
    // The default prefix adds nothing, so derived keys stay what they were before namespaces.
    ...(keySpace !== redisStoreDefaults.prefix && { namespace: keySpace }),
    async begin({ id, fingerprint, owner, leaseMs, ttlMs }): Promise<BeginOutcome> {
      let reply: ScriptReply;
      const call = redis.evalScript(scripts.begin, keyOf(id), [fingerprint, owner, leaseMs, ttlMs]);
      try {
        reply = (await bounded(call)) as ScriptReply;
      } catch (error) {
        // A failed begin may still reach Redis later (the client's offline queue replays it after a
        // reconnect) and would hold the key for a lease; queue a release for the same owner behind it.
        // The begin can also run after that release (a NOSCRIPT reply answered with EVAL, a Cluster
        // redirect retried on a timer): release once more when the begin call settles. A release
        // frees only this owner's running record, so a second one is harmless.
        const release = () => void redis.evalScript(scripts.release, keyOf(id), [owner]).catch(() => {});
        release();
        call.then(release, release);
        throw error;
      }
      const [status, value, takeover] = reply;
      switch (status) {
        case 'acquired':
          return { status, fence: Number(value), takeover: isOne(takeover) };
        case 'completed':
          return { status, result: String(value) };
        case 'running':
          return { status, leaseRemainingMs: Number(value) };
        default:
          return { status: 'mismatch' };
      }
    },
    async extend({ id, owner, leaseMs }) {
      return isOne(await bounded(redis.evalScript(scripts.extend, keyOf(id), [owner, leaseMs])));
    },
    async complete({ id, owner, result, ttlMs }) {
      return isOne(await bounded(redis.evalScript(scripts.complete, keyOf(id), [owner, result, ttlMs])));
    },
    async release({ id, owner }) {
      return isOne(await bounded(redis.evalScript(scripts.release, keyOf(id), [owner])));
    },
    async ping() {
      // PING would answer where no script can run (an ACL user without @scripting): run one instead.
      await bounded(redis.evalScript(scripts.inspect, keyOf(''), ['0']));
    },
    async inspect(id, { includeResult = false } = {}) {
      const [state, fence, tk, lease, pttl, now, result] = (await bounded(
        redis.evalScript(scripts.inspect, keyOf(id), [includeResult ? '1' : '0']),
      )) as InspectReply;
      if (state !== 'running' && state !== 'done' && state !== 'free') return undefined;
      const serverNow = Number(now);
      return {
        state,
        fence: Number(fence),
        takeover: tk === '1',
        ...(state === 'running' && lease ? { leaseExpiresAt: new Date(Number(lease)) } : {}),
        expiresAt: new Date(serverNow + Number(pttl)),
        ...(includeResult && state === 'done' ? { result } : {}),
      };
    },
    async forget(id) {
      return isOne(await bounded(redis.evalScript(scripts.forget, keyOf(id), [])));
    },
  };
}
