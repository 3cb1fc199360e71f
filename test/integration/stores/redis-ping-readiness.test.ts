// Origin: an adversarial review of the store clients and the CLI.
// store.ping() is the readiness probe docs/operations.md tells operators to point their
// orchestrator at. PING alone is answered on connections that can run nothing the store needs: a
// client in subscriber mode (refused at creation), an ACL user without EVAL/EVALSHA (ping runs a
// script, so it rejects).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../../../src/stores/redis.js';
import { connectNodeRedis } from '../../support/node-redis-client.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

const request = () => ({
  id: randomUUID(),
  scopeId: 's',
  fingerprint: 'f',
  owner: randomUUID(),
  leaseMs: 10_000,
  ttlMs: 60_000,
});

/** ping() rejects whenever begin() cannot run. */
async function expectProbeTellsTheTruth(create: () => RedisStore) {
  const store = create();
  const begin = await store.begin(request()).then(
    () => 'ran',
    (error: Error) => `refused: ${error.message}`,
  );
  expect(begin).toMatch(/^refused/); // the store cannot serve a request…
  await expect(store.ping()).rejects.toThrow(); // …so the readiness probe must not say "ready"
}

describe('store.ping() as a readiness probe', () => {
  const subscriberMode =
    /is a connection in subscriber mode, which can run no script: pass a client that does not subscribe/;

  it('an ioredis client in subscriber mode is refused at creation', async () => {
    const client = connectRedis();
    await client.subscribe(`${randomUUID()}`);
    expect(() => createRedisStore({ redis: client, prefix: uniquePrefix('ping-sub') })).toThrow(subscriberMode);
  });

  it('a node-redis client in subscriber mode is refused at creation', async () => {
    const client = await connectNodeRedis();
    await client.subscribe(`${randomUUID()}`, () => {});
    expect(() => createRedisStore({ redis: client, prefix: uniquePrefix('ping-sub-nr') })).toThrow(subscriberMode);
  });

  it('a client subscribing after creation: ping() says ready exactly when begin() still runs', async () => {
    const client = connectRedis();
    const store = createRedisStore({ redis: client, prefix: uniquePrefix('ping-sub-later') });
    await expect(store.ping()).resolves.toBeUndefined();
    await client.subscribe(`${randomUUID()}`);
    // ioredis 5 refuses every other command on a subscribed connection; ioredis 6 (RESP3) runs them.
    const probe = await store.ping().then(
      () => 'ready',
      (error: Error) => error.message,
    );
    const begin = await store.begin(request()).then(
      () => 'ran',
      (error: Error) => `refused: ${error.message}`,
    );
    expect(probe === 'ready' ? 'ready' : 'not ready').toBe(begin === 'ran' ? 'ready' : 'not ready');
    if (probe !== 'ready') expect(probe).toMatch(/subscriber mode/);
  });

  it('an ACL user that may not run scripts', async () => {
    const admin = connectRedis();
    const user = `${randomUUID()}`;
    await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-@scripting');
    const url = new URL(inject('redisUrl'));
    const client = new Redis({
      host: url.hostname,
      port: Number(url.port),
      username: user,
      password: 'pw',
      maxRetriesPerRequest: 1,
    });
    try {
      await expectProbeTellsTheTruth(() => createRedisStore({ redis: client, prefix: uniquePrefix('ping-acl') }));
    } finally {
      client.disconnect();
      await admin.call('ACL', 'DELUSER', user);
    }
  });
});
