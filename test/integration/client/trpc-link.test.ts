import { createTRPCClient, httpLink, retryLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { idempotencyHeaders, idempotencyLink } from '../../../src/client/link.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { idempotency } from '../../../src/trpc/index.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import type { TestContext } from '../../support/servers/trpc/router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

const HEADER = 'X-Idempotency-Key';

async function startServer() {
  const probe = createProbe();
  const t = initTRPC.context<TestContext>().create();
  const idempotent = idempotency<TestContext>({
    store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('trpc-link') }),
    scope: false,
    headerName: HEADER,
    required: true,
  });
  const router = t.router({
    order: t.procedure
      .use(idempotent)
      .input((raw: unknown) => raw as { item: string })
      .mutation(({ input, ctx }) => {
        probe.ran('order');
        return { item: input.item, key: ctx.idempotency.key, run: probe.runs('order') };
      }),
    stock: t.procedure.query(() => 3),
  });
  const server = await startStandaloneServer(router);
  return { server, probe, router };
}

type OrderRouter = Awaited<ReturnType<typeof startServer>>['router'];

describe('idempotencyLink + idempotencyHeaders', () => {
  it('sends the caller-chosen key, quoted and escaped, under a custom header name; queries get no key', async () => {
    const { server, probe } = await startServer();
    const sent: (string | null)[] = [];
    const client = createTRPCClient<OrderRouter>({
      links: [
        idempotencyLink({ generateKey: () => 'generated-1' }),
        httpLink({
          url: server.url,
          headers: ({ op }) => idempotencyHeaders({ op }, { headerName: HEADER }),
          fetch: (input, init) => {
            sent.push(new Headers(init?.headers).get(HEADER));
            return fetch(input, init);
          },
        }),
      ],
    });

    const chosen = 'order "7" \\ blue';
    const first = await client.order.mutate({ item: 'lamp' }, { context: { idempotencyKey: chosen } });
    const repeat = await client.order.mutate({ item: 'lamp' }, { context: { idempotencyKey: chosen } });
    const generated = await client.order.mutate({ item: 'lamp' });
    await client.stock.query();

    expect(sent).toEqual(['"order \\"7\\" \\\\ blue"', '"order \\"7\\" \\\\ blue"', '"generated-1"', null]);
    expect(first).toEqual({ item: 'lamp', key: chosen, run: 1 });
    expect(repeat).toEqual(first);
    expect(generated).toEqual({ item: 'lamp', key: 'generated-1', run: 2 });
    expect(probe.runs('order')).toBe(2);
  });

  it('keeps one key across retryLink attempts only when it sits before retryLink', async () => {
    const { server, probe } = await startServer();
    let minted = 0;
    const generateKey = () => `key-${++minted}`;
    const retry = retryLink<OrderRouter>({ retry: ({ error, attempts }) => attempts < 3 && error.data == null });
    const http = httpLink<OrderRouter>({
      url: server.url,
      headers: ({ op }) => idempotencyHeaders({ op }, { headerName: HEADER }),
    });
    const before = createTRPCClient<OrderRouter>({ links: [idempotencyLink({ generateKey }), retry, http] });
    const after = createTRPCClient<OrderRouter>({ links: [retry, idempotencyLink({ generateKey }), http] });

    server.dropResponses('order', 2);
    const kept = await before.order.mutate({ item: 'desk' });
    const runsBefore = probe.runs('order');
    server.dropResponses('order', 2);
    const remade = await after.order.mutate({ item: 'chair' });

    expect(runsBefore).toBe(1);
    expect(kept).toEqual({ item: 'desk', key: 'key-1', run: 1 });
    expect(probe.runs('order')).toBe(4);
    expect(remade).toEqual({ item: 'chair', key: 'key-4', run: 4 });
  });
});
