import { beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient, rejection } from '../../support/servers/trpc/client.js';
import { createPolicyRouter, type PolicyRouter } from '../../support/servers/trpc/policy-router.js';
import { startStandaloneServer, type TestServer } from '../../support/servers/trpc/servers.js';

const redis = connectRedis();

let app: ReturnType<typeof createPolicyRouter>;
let server: TestServer;
beforeEach(async () => {
  app = createPolicyRouter(createRedisStore({ redis, prefix: uniquePrefix('trpc-policy') }));
  server = await startStandaloneServer(app.router);
});

const keyed = (key: string) => ({ context: { idempotencyKey: key } });

describe('idempotency() applies the core error policy to what the procedure threw', () => {
  it('frees the key after a transient TRPCError (TOO_MANY_REQUESTS): the retry runs the procedure', async () => {
    const { client, exchanges } = createTestClient<PolicyRouter>({ url: server.url, user: 'alice' });
    const refused = await rejection(client.throttled.mutate(undefined, keyed('throttle-1')));
    const retried = await client.throttled.mutate(undefined, keyed('throttle-1'));
    const replayed = await client.throttled.mutate(undefined, keyed('throttle-1'));

    expect(refused.data?.code).toBe('TOO_MANY_REQUESTS');
    expect(retried).toEqual({ run: 2 });
    expect(replayed).toEqual({ run: 2 });
    expect(app.probe.runs('throttled')).toBe(2);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [429, null],
      [200, null],
      [200, 'true'],
    ]);
  });

  it('stores a coded client error (NOT_FOUND) and replays it: the procedure ran once', async () => {
    const { client, exchanges } = createTestClient<PolicyRouter>({ url: server.url, user: 'alice' });
    const first = await rejection(client.missing.mutate(undefined, keyed('missing-1')));
    const second = await rejection(client.missing.mutate(undefined, keyed('missing-1')));

    expect(app.probe.runs('missing')).toBe(1);
    expect(first.message).toBe('No such order (run 1)');
    expect(second.shape).toEqual(first.shape);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [404, null],
      [404, 'true'],
    ]);
  });

  it('stores a coded client error (FORBIDDEN) with its cause, so the formatter shapes the replay as the original', async () => {
    const { client, exchanges } = createTestClient<PolicyRouter>({ url: server.url, user: 'alice' });
    const first = await rejection(client.locked.mutate(undefined, keyed('locked-1')));
    const second = await rejection(client.locked.mutate(undefined, keyed('locked-1')));

    expect(app.probe.runs('locked')).toBe(1);
    expect(first.data?.code).toBe('FORBIDDEN');
    // Derived by the errorFormatter from the cause's own properties (a Date among them).
    expect(first.data?.ledger).toEqual({
      name: 'LedgerLockedError',
      reason: 'ledger-locked',
      account: 'acct-1',
      since: new Date(Date.UTC(2024, 4, 1)),
    });
    expect(second.shape).toEqual(first.shape);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [403, null],
      [403, 'true'],
    ]);
  });

  it('frees the key after an unexpected throw: the retry runs the procedure, then its success is replayed', async () => {
    const { client, exchanges } = createTestClient<PolicyRouter>({ url: server.url, user: 'alice' });
    // The test client's retryLink retries the 500 with the same key.
    const result = await client.crashing.mutate(undefined, keyed('crash-1'));
    const replayed = await client.crashing.mutate(undefined, keyed('crash-1'));

    expect(app.probe.runs('crashing')).toBe(2);
    expect(result).toEqual({ run: 2 });
    expect(replayed).toEqual({ run: 2 });
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [500, null],
      [200, null],
      [200, 'true'],
    ]);
  });
});
