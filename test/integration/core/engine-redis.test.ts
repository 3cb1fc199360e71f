import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  createIdempotencyEngine,
  IdempotencyStoreUnavailableError,
  type IdempotencyEvent,
  type IdempotencyStore,
} from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server.stop());

/** Records every command clients send to the server, as MONITOR reports it (commands run inside scripts excluded). */
async function watchCommands(url: string) {
  const monitor = await new Redis(url).monitor();
  const seen: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua') seen.push(String(args[0]).toLowerCase());
  });
  return {
    /** Commands seen while `action` ran, after MONITOR has caught up. */
    async during(action: () => Promise<unknown>): Promise<string[]> {
      const from = seen.length;
      await action();
      await sleep(50);
      return seen.slice(from);
    },
    stop: () => monitor.disconnect(),
  };
}

describe('Redis round trips, counted by Redis (MONITOR)', () => {
  it('costs two commands for a first execution, one for a replay and one for a conflict', async () => {
    const engine = createIdempotencyEngine({ store: createRedisStore({ redis: connectRedis({}, server.url) }) });
    const request = { scope: 'u', operation: 'pay', input: { amount: 1 } };
    await engine.execute({ ...request, key: 'warm-up', run: async () => 'loads the scripts' });
    const commands = await watchCommands(server.url);

    const first = await commands.during(() =>
      engine.execute({ ...request, key: 'k', run: async () => ({ at: new Date() }) }),
    );
    const replay = await commands.during(() =>
      engine.execute({ ...request, key: 'k', run: async () => ({ at: new Date() }) }),
    );
    let release!: () => void;
    const running = engine.execute({
      ...request,
      key: 'busy',
      run: () => new Promise<void>((resolve) => (release = resolve)),
    });
    await sleep(50);
    const conflict = await commands.during(() =>
      expect(engine.execute({ ...request, key: 'busy', run: async () => undefined })).rejects.toMatchObject({
        status: 409,
      }),
    );
    release();
    await running;
    commands.stop();

    expect(first).toEqual(['evalsha', 'evalsha']);
    expect(replay).toEqual(['evalsha']);
    expect(conflict).toEqual(['evalsha']);
  });

  it('costs two commands for a body that frees the key (begin, release) and two for one whose coded error is stored', async () => {
    const engine = createIdempotencyEngine({ store: createRedisStore({ redis: connectRedis({}, server.url) }) });
    const request = { scope: 'u', operation: 'pay', input: { amount: 1 } };
    await engine.execute({ ...request, key: randomUUID(), run: async () => 'loads the scripts' });
    await engine
      .execute({ ...request, key: randomUUID(), run: () => Promise.reject(new Error('loads the release script')) })
      .catch(() => {});
    const commands = await watchCommands(server.url);

    const freed = await commands.during(() =>
      expect(
        engine.execute({ ...request, key: randomUUID(), run: () => Promise.reject(new Error('timeout')) }),
      ).rejects.toThrow('timeout'),
    );
    const declined = { declined: true };
    const stored = await commands.during(() =>
      engine.execute({
        ...request,
        key: randomUUID(),
        run: async () => declined,
        outcome: () => ({ returned: false, coded: true, status: 402 }),
      }),
    );
    commands.stop();

    expect(freed).toEqual(['evalsha', 'evalsha']);
    expect(stored).toEqual(['evalsha', 'evalsha']);
  });
});

describe('an owner that lost its lease', () => {
  it('is taken over, and its late completion is refused and never overwrites the newer result', async () => {
    const prefix = uniquePrefix('stale');
    const real = createRedisStore({ redis: connectRedis({}, server.url), prefix });
    // The stalled holder's heartbeat never reaches Redis, as if its process were paused.
    const stalled: IdempotencyStore = { ...real, extend: async () => true };
    const events: IdempotencyEvent[] = [];
    const onEvent = (event: IdempotencyEvent) => events.push(event);
    const holder = createIdempotencyEngine({ store: stalled, lease: 200, onEvent });
    const rescuer = createIdempotencyEngine({ store: real, lease: 5_000, onEvent });
    const request = { scope: 'u', operation: 'pay', key: randomUUID(), input: { amount: 5 } };

    const fences: number[] = [];
    let resume!: () => void;
    const late = holder.execute({
      ...request,
      run: async ({ fence }) => {
        fences.push(fence!);
        await new Promise<void>((resolve) => (resume = resolve));
        return 'late holder';
      },
    });
    await sleep(400);
    const rescued = await rescuer.execute({
      ...request,
      run: async ({ fence }) => {
        fences.push(fence!);
        return 'rescuer';
      },
    });
    resume();
    await expect(late).resolves.toEqual({ value: 'late holder', replayed: false });

    expect(rescued).toEqual({ value: 'rescuer', replayed: false });
    expect(fences).toEqual([1, 2]);
    expect(events.map((event) => event.type)).toEqual(['takeover', 'executed', 'stale-completion']);
    await expect(rescuer.execute({ ...request, run: async () => 'third' })).resolves.toEqual({
      value: 'rescuer',
      replayed: true,
    });
  });
});

describe('Redis stopped mid-test', () => {
  it('fails closed with IdempotencyStoreUnavailableError within a bounded time and runs nothing', async () => {
    const own = await startRedisServer();
    onTestFinished(() => own.stop());
    const client = new Redis(own.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    client.on('error', () => {});
    await client.connect();
    const events: IdempotencyEvent[] = [];
    const engine = createIdempotencyEngine({
      store: createRedisStore({ redis: client, timeout: 1_000 }),
      onEvent: (event) => events.push(event),
    });
    const request = { scope: 'u', operation: 'pay', input: {} };
    await engine.execute({ ...request, key: 'before', run: async () => 'ok' });

    await own.stop();
    let runs = 0;
    const started = Date.now();
    const attempt = engine.execute({ ...request, key: 'during', run: async () => ++runs });
    await expect(attempt).rejects.toBeInstanceOf(IdempotencyStoreUnavailableError);
    await expect(attempt).rejects.toMatchObject({ code: 'IDEMPOTENCY_STORE_UNAVAILABLE', status: 503 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(runs).toBe(0);
    expect(events.at(-1)?.type).toBe('store-error');

    const open = createIdempotencyEngine({
      store: createRedisStore({ redis: client, timeout: 1_000 }),
      failMode: 'open',
    });
    await expect(open.execute({ ...request, key: 'during', run: async () => ++runs })).resolves.toEqual({
      value: 1,
      replayed: false,
    });
    client.disconnect();
  });
});
