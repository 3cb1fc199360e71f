import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import type { ScopeOption } from '../../src/core/scope.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { idempotency, idempotencyErrorData, type IdempotencyCall } from '../../src/trpc/index.js';
import { connectRedis, uniquePrefix } from '../support/redis-client.js';
import { createTestClient, rejection } from './support/client.js';
import { createProbe } from './support/probe.js';
import type { TestContext } from './support/router.js';
import { startStandaloneServer } from './support/servers.js';

const redis = connectRedis();

/** One idempotent mutation, `order`, under the given scope option; `probe` counts its runs. */
async function serve(scope: ScopeOption<IdempotencyCall<TestContext>>) {
  const probe = createProbe();
  const t = initTRPC.context<TestContext>().create({
    transformer: superjson,
    errorFormatter: ({ shape, error }) => ({ ...shape, data: { ...shape.data, idempotency: idempotencyErrorData(error) } }),
  });
  const idempotent = idempotency<TestContext>({ store: createRedisStore({ redis, prefix: uniquePrefix('trpc-scope') }), scope });
  const router = t.router({
    order: t.procedure.use(idempotent).mutation(({ ctx }) => {
      probe.ran('order');
      return { run: probe.runs('order'), for: ctx.user };
    }),
  });
  const server = await startStandaloneServer(router);
  return { probe, url: server.url, client: (user?: string) => createTestClient<typeof router>({ url: server.url, user }) };
}

describe('idempotency() when scope gives no caller identity', () => {
  it.each([
    ['undefined', () => undefined],
    ['null', () => null],
  ])('refuses a keyed call with 401 UNAUTHORIZED when scope gives %s, and does not run it', async (_, scope) => {
    const app = await serve(scope);
    const { client, exchanges } = app.client('alice');
    const refused = await rejection(client.order.mutate(undefined, { context: { idempotencyKey: 'who-1' } }));

    expect(app.probe.runs('order')).toBe(0);
    expect(refused.data?.code).toBe('UNAUTHORIZED');
    expect(refused.data?.httpStatus).toBe(401);
    expect(refused.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_SCOPE_MISSING' });
    expect(exchanges.map((exchange) => exchange.status)).toEqual([401]);
  });

  it('still runs a call without a key (sent without the client link, which would add one)', async () => {
    const app = await serve(({ ctx }) => ctx.user);
    const response = await fetch(`${app.url}/order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

    expect(response.status).toBe(200);
    expect(app.probe.runs('order')).toBe(1);
  });
});

describe('idempotency() with scope: false', () => {
  it('shares one anonymous scope on purpose: a second caller with the same key gets the first result', async () => {
    const app = await serve(false);
    const first = await app.client('alice').client.order.mutate(undefined, { context: { idempotencyKey: 'shared-1' } });
    const bob = app.client('bob');
    const second = await bob.client.order.mutate(undefined, { context: { idempotencyKey: 'shared-1' } });

    expect(app.probe.runs('order')).toBe(1);
    expect(second).toEqual({ run: 1, for: 'alice' });
    expect(second).toEqual(first);
    expect(bob.exchanges[0]?.headers?.get('idempotent-replayed')).toBe('true');
  });
});
