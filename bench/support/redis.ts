import { Redis, type RedisOptions } from 'ioredis';
import { startRedisServer, type RedisServer } from '../../test/support/redis/server.js';

/** A redis-server spawned for the bench run, with a helper to open connections to it. */
export interface BenchRedis {
  readonly server: RedisServer;
  /** A new connection; `options` (e.g. `enableAutoPipelining`) on top of the bench's own. */
  connect(options?: RedisOptions): Redis;
  /** Closes every connection opened with `connect` and stops the server. */
  close(): Promise<void>;
}

/** Spawns a private redis-server (no persistence, no memory limit) for the whole run. */
export async function startBenchRedis(): Promise<BenchRedis> {
  const server = await startRedisServer();
  const opened: Redis[] = [];
  return {
    server,
    connect(options) {
      const client = new Redis(server.url, { maxRetriesPerRequest: 1, ...options });
      opened.push(client);
      return client;
    },
    async close() {
      await Promise.all(opened.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
      await server.stop('SIGTERM');
    },
  };
}

/** What Redis saw while an action ran, counted by Redis itself (MONITOR). */
export interface CommandCount {
  /** Commands sent by clients: one per network round trip (nothing here pipelines). */
  roundTrips: number;
  /** Commands Redis executed, including those run inside Lua scripts. */
  executed: number;
  /** Client command names in order, e.g. `['evalsha']`. */
  sent: string[];
}

/**
 * Counts the commands Redis receives while `action` runs, using MONITOR on a separate
 * connection. A marker command sent afterwards tells when every earlier command was seen.
 */
export async function countCommands(
  bench: BenchRedis,
  action: () => Promise<unknown>,
  /** Commands left out of the count, e.g. the mutation's own write. */
  ignore: (args: string[]) => boolean = () => false,
): Promise<CommandCount> {
  const control = bench.connect();
  await control.ping();
  const monitor = await control.monitor();
  const marker = `bench-marker-${Math.random().toString(36).slice(2)}`;
  const sent: string[] = [];
  let executed = 0;
  let finished = false;
  let markerSeen: () => void = () => {};
  const done = new Promise<void>((resolve) => (markerSeen = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const [name = ''] = args;
    if (finished || ignore(args)) return;
    if (name.toLowerCase() === 'echo' && args[1] === marker) {
      finished = true;
      return markerSeen();
    }
    executed += 1;
    if (source !== 'lua') sent.push(name.toLowerCase());
  });
  await action();
  await control.echo(marker);
  await done;
  monitor.disconnect();
  control.disconnect();
  return { roundTrips: sent.length, executed, sent };
}

/** `used_memory` of the server, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match?.[1]) throw new Error('used_memory missing from INFO memory');
  return Number(match[1]);
}
