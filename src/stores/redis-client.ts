import { createHash } from 'node:crypto';

/** The arguments of a script call: strings or numbers, sent as Redis bulk strings. */
export type ScriptArgument = string | number;

/**
 * What the ioredis clients (`Redis`, for a single node or Sentinel, and `Cluster`) offer that the
 * store uses. Structural, so the published types do not depend on ioredis being installed.
 */
export interface IoredisScriptingClient {
  evalsha(sha: string, numberOfKeys: number, ...keysAndArgs: ScriptArgument[]): Promise<unknown>;
  eval(script: string, numberOfKeys: number, ...keysAndArgs: ScriptArgument[]): Promise<unknown>;
}

/**
 * What the node-redis clients (`createClient` and `createCluster` of the `redis` package) offer that
 * the store uses. Structural, so the published types do not depend on node-redis being installed.
 */
export interface NodeRedisScriptingClient {
  evalSha(sha: string, options?: { keys?: string[]; arguments?: string[] }): Promise<unknown>;
  eval(script: string, options?: { keys?: string[]; arguments?: string[] }): Promise<unknown>;
}

/** A Redis client the store accepts: ioredis (`Redis`, `Cluster`) or node-redis (`createClient`, `createCluster`). */
export type RedisClient = IoredisScriptingClient | NodeRedisScriptingClient;

/** A Lua script with its SHA-1, computed once. */
export interface LoadedScript {
  readonly lua: string;
  readonly sha: string;
}

/** `lua` with its SHA-1, the name EVALSHA runs it by. */
export function loadScript(lua: string): LoadedScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** The one thing the store asks of a Redis client: run a script on one key (its Cluster slot). */
export interface ScriptingClient {
  /**
   * Runs `script` by EVALSHA; where the node answers NOSCRIPT (a restart, a failover, SCRIPT FLUSH),
   * by EVAL, which also loads it for the next call. Resolves with the script's reply, its bulk
   * strings as strings (a client mapping them to Buffers is read the same); an integer reply may
   * still be a number or a string (ioredis `stringNumbers`, a node-redis type mapping).
   */
  evalScript(script: LoadedScript, keys: string[], args: ScriptArgument[]): Promise<unknown>;
  /** The ioredis `keyPrefix` the client puts before every key, `''` without one. */
  readonly keyPrefix: string;
}

interface ScriptCalls {
  evalsha(sha: string, keys: string[], args: ScriptArgument[]): Promise<unknown>;
  eval(lua: string, keys: string[], args: ScriptArgument[]): Promise<unknown>;
}

/** `reply` with every Buffer (a node-redis BLOB_STRING → Buffer mapping) read as UTF-8 text. */
function textReply(reply: unknown): unknown {
  if (Array.isArray(reply)) return reply.map(textReply);
  return reply instanceof Uint8Array ? Buffer.from(reply).toString('utf8') : reply;
}

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

function withFallback(calls: ScriptCalls, keyPrefix = ''): ScriptingClient {
  return {
    evalScript(script, keys, args) {
      return calls
        .evalsha(script.sha, keys, args)
        .catch((error: unknown) => {
          if (!isNoScript(error)) throw error;
          return calls.eval(script.lua, keys, args);
        })
        .then(textReply);
    },
    keyPrefix,
  };
}

/** The `keyPrefix` of an ioredis `Redis` or `Cluster` (whose own option takes its `redisOptions`' one). */
function ioredisKeyPrefix(client: object): string {
  const options = (client as { options?: { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } } }).options;
  const keyPrefix = options?.keyPrefix ?? options?.redisOptions?.keyPrefix;
  return typeof keyPrefix === 'string' ? keyPrefix : '';
}

/**
 * Refuses a client that can never run the store's scripts: a connection in subscriber mode, a
 * node-redis legacy-mode client (callback-style, `client.legacy()`).
 */
function refuseUnusable(client: object, option: string): void {
  const fields = client as {
    condition?: { subscriber?: unknown };
    isPubSubActive?: unknown;
    constructor?: { name?: unknown };
  };
  if (fields.condition?.subscriber || fields.isPubSubActive === true)
    throw new TypeError(
      `${option} is a connection in subscriber mode, which can run no script: pass a client ` +
        `that does not subscribe (a separate connection, e.g. client.duplicate()).`,
    );
  if (fields.constructor?.name === 'RedisLegacyClient')
    throw new TypeError(
      `${option} is a node-redis legacy-mode client (client.legacy()), whose commands take callbacks: ` +
        `pass the client itself (createClient(…) after connect()).`,
    );
}

const has = (client: object, method: string) => typeof (client as Record<string, unknown>)[method] === 'function';

/** What `value` is, for an error message: its class name, or its type. */
function described(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object without evalsha or evalSha';
}

/**
 * The scripting client over `redis`, detected from the object: an ioredis client (it has
 * `evalsha`) or a node-redis client (it has `evalSha`, camel-cased); a `Cluster` of either
 * routes each script by its key. Throws a `TypeError` naming what was passed when it is neither,
 * or when it can run no script (subscriber mode, node-redis legacy mode).
 */
export function scriptingClient(redis: unknown, option = 'redis store option "redis"'): ScriptingClient {
  if (typeof redis === 'object' && redis !== null) {
    refuseUnusable(redis, option);
    if (has(redis, 'evalsha')) {
      const client = redis as IoredisScriptingClient;
      return withFallback(
        {
          evalsha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
          eval: (lua, keys, args) => client.eval(lua, keys.length, ...keys, ...args),
        },
        ioredisKeyPrefix(redis),
      );
    }
    if (has(redis, 'evalSha') && has(redis, 'eval')) {
      const client = redis as NodeRedisScriptingClient;
      return withFallback({
        evalsha: (sha, keys, args) => client.evalSha(sha, { keys, arguments: args.map(String) }),
        eval: (lua, keys, args) => client.eval(lua, { keys, arguments: args.map(String) }),
      });
    }
  }
  throw new TypeError(
    `${option} must be an ioredis client (new Redis(…), new Cluster(…)) or a node-redis client ` +
      `(createClient(…), createCluster(…)), got ${described(redis)}.`,
  );
}
