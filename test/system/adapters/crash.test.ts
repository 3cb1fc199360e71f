/**
 * Crash recovery: `kill -9` of a server process while its mutation body runs. Retries while the
 * crashed holder's lease is live get 409 with Retry-After; once it lapses (1.5 s lease here), a
 * retry on another process takes the record over and runs the body, with a higher fencing token;
 * every later repeat, on any process, replays that result. No key stays stuck.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { recordId } from '../../../src/core/hashing.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { adapters } from '../../support/servers/charge-app/adapters.js';
import type { Seen } from '../../support/servers/charge-app/clients.js';
import { gateKey, runsField, runsKey } from '../../support/servers/charge-app/ledger.js';
import { spawnServer, type ServerProcess } from '../../support/servers/charge-app/spawn.js';

const LEASE_MS = 1_500;
/** Bound on waiting for the takeover: many leases, so a slow machine cannot make it flaky. */
const TAKEOVER_DEADLINE_MS = 20_000;
const RETRY_INTERVAL_MS = 100;
const prefix = uniquePrefix('crash');
const redis = connectRedis();
const start = (name: string) =>
  spawnServer({ REDIS_URL: inject('redisUrl'), PREFIX: prefix, SERVER_NAME: name, LEASE_MS });
let survivors: ServerProcess[] = [];

beforeAll(async () => {
  survivors = await Promise.all([start('survivor-1'), start('survivor-2')]);
}, 240_000);

describe.each(adapters)('kill -9 of a $name server mid-mutation', (adapter) => {
  it('answers 409 while the lease lives, then another process takes over with fence 2; repeats replay it', async () => {
    const victim = await start(`victim-${adapter.operation}`);
    const key = `${adapter.operation}:crash`;
    const input = { amount: 900, waitForGate: true };
    // Both adapters name the operation `charge`; the key tells the records apart. Anonymous scope: null.
    const record = `${prefix}{${recordId('anonymous', 'charge', key)}}`;

    const inFlight = adapter.charge(victim, key, input).then(
      (seen) => ({ seen }),
      (error: unknown) => ({ error }),
    );
    const started = await victim.nextStart((event) => event.key === key);
    expect(started).toEqual({ operation: adapter.operation, key, fence: 1, run: 1, server: victim.name });
    expect(await redis.hmget(record, 'state', 'fence')).toEqual(['running', '1']);

    await victim.kill();
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(await inFlight).toEqual({ error: expect.any(Error) });
    expect(await redis.hget(record, 'state')).toBe('running');
    // Open the gate the dead body waited at, so the body of the takeover does not wait.
    await redis.rpush(gateKey(prefix, adapter.operation, key), 'go');

    const [first, second] = survivors as [ServerProcess, ServerProcess];
    const retry = () => adapter.charge(first, key, input);
    const conflicts: Seen<unknown>[] = [];
    let answer = await retry();
    const deadline = Date.now() + TAKEOVER_DEADLINE_MS;
    while (answer.status === 409 && Date.now() < deadline) {
      conflicts.push(answer);
      await sleep(RETRY_INTERVAL_MS);
      answer = await retry();
    }

    // The retry sent right after the kill found the lease live; so did every retry until the takeover.
    expect(conflicts.length).toBeGreaterThanOrEqual(1);
    for (const conflict of conflicts) {
      expect(conflict).toEqual({ status: 409, retryAfter: '1', replayed: null, body: adapter.conflictBody });
    }
    expect(answer).toMatchObject({ status: 200, retryAfter: null, replayed: null });
    const charge = adapter.chargeOf(answer);
    expect(charge).toMatchObject({ key, amount: 900, fence: 2, server: first.name, run: 2 });
    expect(first.started.filter((event) => event.key === key)).toEqual([
      { operation: adapter.operation, key, fence: 2, run: 2, server: first.name },
    ]);

    for (const server of [second, first]) {
      const replay = await adapter.charge(server, key, input);
      expect(replay).toMatchObject({ status: 200, retryAfter: null, replayed: 'true' });
      expect(adapter.chargeOf(replay)).toEqual(charge);
    }
    expect(second.started.filter((event) => event.key === key)).toEqual([]);
    expect(await redis.hget(runsKey(prefix), runsField(adapter.operation, key))).toBe('2');
    expect(await redis.hmget(record, 'state', 'fence', 'lease')).toEqual(['done', '2', null]);
    expect(await redis.pttl(record)).toBeGreaterThan(0);
  });
});
