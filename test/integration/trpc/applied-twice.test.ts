import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { idempotency } from '../../../src/trpc/index.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient } from '../../support/servers/trpc/client.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import type { TestContext } from '../../support/servers/trpc/router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

const redis = connectRedis();
const store = () => createRedisStore({ redis, prefix: uniquePrefix('trpc-twice') });

/** `pay` on a base procedure that has the middleware, with `.use(inner)` again; `seen` lists the key each body got. */
function createRouter(
  outer: ReturnType<typeof idempotency<TestContext>>,
  inner: ReturnType<typeof idempotency<TestContext>>,
) {
  const probe = createProbe();
  const seen: unknown[] = [];
  const t = initTRPC.context<TestContext>().create({ transformer: superjson });
  const base = t.procedure.use(outer);
  const router = t.router({
    pay: base
      .use(inner)
      .input((raw: unknown) => raw as { amount: number })
      .mutation(({ input, ctx }) => {
        probe.ran('pay');
        seen.push(ctx.idempotency.key);
        return { amount: input.amount, run: probe.runs('pay') };
      }),
  });
  return { router, probe, seen };
}

describe('idempotency() applied twice on one procedure', () => {
  it.each([
    ['the same middleware', 'same'],
    ['two middlewares on one store', 'two'],
  ])('runs a keyed call once and replays it (%s): the inner one passes the call through', async (_name, kind) => {
    const shared = store();
    const create = () => idempotency<TestContext>({ store: shared, scope: ({ ctx }) => ctx.user });
    const outer = create();
    const app = createRouter(outer, kind === 'same' ? outer : create());
    const server = await startStandaloneServer(app.router);
    const { client, exchanges } = createTestClient<typeof app.router>({ url: server.url, user: 'alice' });

    const outputs = [];
    for (let i = 0; i < 3; i++)
      outputs.push(await client.pay.mutate({ amount: 5 }, { context: { idempotencyKey: 'twice-1' } }));

    expect(app.probe.runs('pay')).toBe(1);
    expect(outputs).toEqual([
      { amount: 5, run: 1 },
      { amount: 5, run: 1 },
      { amount: 5, run: 1 },
    ]);
    expect(app.seen).toEqual(['twice-1']);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [200, null],
      [200, 'true'],
      [200, 'true'],
    ]);
  });
});
