/**
 * Multi-process storm: four server processes (each serving GraphQL Yoga and tRPC) share one Redis.
 * Hundreds of identical requests (same key, same input) at once, spread over the four, run the
 * mutation body exactly once; every client sees the identical result or a 409 with Retry-After.
 * The body counts its runs in Redis, so runs in any process are counted.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { adapters } from '../../support/servers/charge-app/adapters.js';
import { all, type Seen } from '../../support/servers/charge-app/clients.js';
import { gateKey, runsField, runsKey } from '../../support/servers/charge-app/ledger.js';
import { spawnServer, type ServerProcess } from '../../support/servers/charge-app/spawn.js';

const PROCESSES = 4;
const REQUESTS = 400;
const prefix = uniquePrefix('storm');
const redis = connectRedis();
let servers: ServerProcess[] = [];

beforeAll(async () => {
  servers = await Promise.all(
    Array.from({ length: PROCESSES }, (_, index) =>
      spawnServer({ REDIS_URL: inject('redisUrl'), PREFIX: prefix, SERVER_NAME: `server-${index + 1}` }),
    ),
  );
}, 240_000);

const runs = async (operation: string, key: string) =>
  Number((await redis.hget(runsKey(prefix), runsField(operation, key))) ?? 0);
const startsOf = (operation: string, key: string) =>
  servers.flatMap((server) => server.started.filter((event) => event.operation === operation && event.key === key));

describe.each(adapters)('storm over $name: 4 processes, one Redis', (adapter) => {
  const send = (key: string, input: { amount: number; waitForGate?: boolean }) => (index: number) =>
    adapter.charge(servers[index % PROCESSES]!, key, input);

  it(`${REQUESTS} identical requests while the body is held: 1 run, ${REQUESTS - 1} × 409, then ${REQUESTS} replays`, async () => {
    const key = `${adapter.operation}:held`;
    const input = { amount: 4200, waitForGate: true };
    let answered = 0;
    let allButOneAnswered!: () => void;
    const waitingForOne = new Promise<void>((resolve) => (allButOneAnswered = resolve));
    const firstWave = all(REQUESTS, (index) =>
      send(
        key,
        input,
      )(index).then((seen) => {
        if (++answered === REQUESTS - 1) allButOneAnswered();
        return seen;
      }),
    );
    await waitingForOne;

    // One request holds the record (its body waits for the gate); every other one was refused.
    expect(await runs(adapter.operation, key)).toBe(1);
    await redis.rpush(gateKey(prefix, adapter.operation, key), 'go');
    const seen = await firstWave;
    const [original, ...refused] = [...seen].sort((a, b) => (a.status === 200 ? -1 : b.status === 200 ? 1 : 0));
    expect(original).toMatchObject({ status: 200, retryAfter: null, replayed: null });
    const charge = adapter.chargeOf(original!);
    const runner = startsOf(adapter.operation, key);
    expect(runner).toHaveLength(1);
    expect(charge).toMatchObject({ key, amount: 4200, fence: 1, server: runner[0]!.server, run: 1 });
    expect(refused).toHaveLength(REQUESTS - 1);
    for (const conflict of refused) {
      expect(conflict).toEqual({ status: 409, retryAfter: '1', replayed: null, body: adapter.conflictBody });
    }

    const replays = await all(REQUESTS, send(key, input));
    for (const replay of replays) {
      expect(replay).toMatchObject({ status: 200, retryAfter: null, replayed: 'true' });
      expect(adapter.chargeOf(replay)).toEqual(charge);
    }
    expect(await runs(adapter.operation, key)).toBe(1);
    expect(startsOf(adapter.operation, key)).toHaveLength(1);
  });

  it(`${REQUESTS} identical requests around a quick body: 1 run; each client gets the identical result or a 409`, async () => {
    const key = `${adapter.operation}:quick`;
    const seen = await all(REQUESTS, send(key, { amount: 1700 }));

    expect(await runs(adapter.operation, key)).toBe(1);
    expect(startsOf(adapter.operation, key)).toHaveLength(1);
    const succeeded = seen.filter((answer) => answer.status === 200);
    const originals = succeeded.filter((answer) => answer.replayed === null);
    expect(originals).toHaveLength(1);
    const charge = adapter.chargeOf(originals[0]!);
    expect(charge).toMatchObject({ key, amount: 1700, fence: 1, run: 1 });
    for (const answer of seen) {
      if (answer.status === 200) {
        expect(adapter.chargeOf(answer)).toEqual(charge);
        expect(answer.replayed === null || answer.replayed === 'true').toBe(true);
      } else {
        expect(answer).toEqual({
          status: 409,
          retryAfter: '1',
          replayed: null,
          body: adapter.conflictBody,
        } satisfies Seen<unknown>);
      }
    }
  });
});
