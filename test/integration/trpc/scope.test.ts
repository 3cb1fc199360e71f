/**
 * The `scope` option: records of two scopes never meet; a keyed call without a caller is refused.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import type { TrpcIdempotencyOptions } from '../../../src/trpc/index.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient, rejection } from '../../support/servers/trpc/client.js';
import { createTestRouter, type TestContext, type TestRouter } from '../../support/servers/trpc/router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

const redis = connectRedis();

async function serve(scope: TrpcIdempotencyOptions<TestContext>['scope']) {
  const app = createTestRouter({ store: createRedisStore({ redis, prefix: uniquePrefix('trpc-scope') }), scope });
  const { url } = await startStandaloneServer(app.router);
  return { probe: app.probe, url, client: (user?: string) => createTestClient<TestRouter>({ url, user }) };
}

describe('idempotency() when scope gives no caller identity', () => {
  it.each([
    ['undefined', () => undefined],
    ['null', () => null],
  ])('refuses a keyed call with 401 UNAUTHORIZED when scope gives %s, and does not run it', async (_, scope) => {
    const app = await serve(scope);
    const { client, exchanges } = app.client('alice');
    const refused = await rejection(client.pay.mutate({ amount: 1 }, { context: { idempotencyKey: 'who-1' } }));

    expect(app.probe.runs('pay')).toBe(0);
    expect(refused.data?.code).toBe('UNAUTHORIZED');
    expect(refused.data?.httpStatus).toBe(401);
    expect(refused.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_SCOPE_MISSING' });
    expect(exchanges.map((exchange) => exchange.status)).toEqual([401]);
  });

  it('still runs a call without a key (sent without the client link, which would add one)', async () => {
    const app = await serve(() => undefined);
    const response = await fetch(`${app.url}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"json":{"amount":1}}',
    });

    expect(response.status).toBe(200);
    expect(app.probe.runs('pay')).toBe(1);
  });
});

describe('idempotency() with scope: false', () => {
  it('shares one anonymous scope on purpose: a second caller with the same key gets the first result', async () => {
    const app = await serve(false);
    const first = await app
      .client('alice')
      .client.pay.mutate({ amount: 2 }, { context: { idempotencyKey: 'shared-1' } });
    const bob = app.client('bob');
    const second = await bob.client.pay.mutate({ amount: 2 }, { context: { idempotencyKey: 'shared-1' } });

    expect(app.probe.runs('pay')).toBe(1);
    expect(second).toEqual(first);
    expect(bob.exchanges[0]?.headers?.get('idempotent-replayed')).toBe('true');
  });
});

describe('a scope that returns an object instead of a string', () => {
  it('fails loudly naming the scope, nothing runs', async () => {
    const app = await serve(({ ctx }) => ({ id: ctx.user }) as never);
    const { client } = app.client('a');
    const error = await rejection(client.pay.mutate({ amount: 1 }, { context: { idempotencyKey: 'k8' } }));
    expect(error.message).toMatch(/scope/);
    expect(app.probe.runs('pay')).toBe(0);
  });
});
