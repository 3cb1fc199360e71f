import { MutationObserver, QueryClient, type MutationFunctionContext } from '@tanstack/query-core';
import { createTRPCClient, httpLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { idempotencyHeaders, idempotencyLink } from '../../../src/client/link.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { idempotentMutationFn } from '../../../src/tanstack-query/index.js';
import { idempotency } from '../../../src/trpc/index.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

interface Ctx {
  user: string | undefined;
  res?: unknown;
}

const UUID = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;

/** A tRPC server with the idempotency middleware on the Redis store; `pay` counts its runs. */
async function startServer() {
  const probe = createProbe();
  const t = initTRPC.context<Ctx>().create();
  const idempotent = idempotency<Ctx>({
    store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('tanstack') }),
    scope: ({ ctx }) => ctx.user,
  });
  const router = t.router({
    pay: t.procedure
      .use(idempotent)
      .input((raw: unknown) => raw as { amount: number; requestId?: string })
      .mutation(({ input, ctx }) => {
        probe.ran('pay');
        return { amount: input.amount, key: ctx.idempotency.key, run: probe.runs('pay') };
      }),
  });
  const server = await startStandaloneServer(router);
  return { server, probe, router };
}

type PayRouter = Awaited<ReturnType<typeof startServer>>['router'];

/**
 * A tRPC client (idempotencyLink + idempotencyHeaders on httpLink) that records, per HTTP request,
 * the key it sent and, per response that arrived, the `Idempotent-Replayed` header.
 */
function trpcClient(url: string) {
  const keysSent: (string | null)[] = [];
  const replayed: (string | null)[] = [];
  const client = createTRPCClient<PayRouter>({
    links: [
      idempotencyLink(),
      httpLink({
        url,
        headers: ({ op }) => ({ ...idempotencyHeaders({ op }), 'x-user': 'alice' }),
        fetch: async (input, init) => {
          keysSent.push(new Headers(init?.headers).get('idempotency-key'));
          const response = await fetch(input, init);
          replayed.push(response.headers.get('idempotent-replayed'));
          return response;
        },
      }),
    ],
  });
  return { client, keysSent, replayed };
}

const queryClient = () => new QueryClient({ defaultOptions: { mutations: { retry: 3, retryDelay: 5 } } });
type Variables = { amount: number; requestId?: string };

describe('idempotentMutationFn with TanStack Query retries over @trpc/client', () => {
  it('without it: every TanStack retry is a new tRPC call with a new key, and the mutation runs again', async () => {
    const { server, probe } = await startServer();
    const { client, keysSent } = trpcClient(server.url);
    const observer = new MutationObserver(queryClient(), {
      mutationFn: (variables: Variables) => client.pay.mutate(variables),
    });

    server.dropResponses('pay', 2);
    const result = await observer.mutate({ amount: 5 });

    expect(new Set(keysSent).size).toBe(3);
    expect(probe.runs('pay')).toBe(3);
    expect(result.run).toBe(3);
  });

  it('keeps one key across TanStack retries of one mutate(): lost responses cost no second run, and the answer is the replay', async () => {
    const { server, probe } = await startServer();
    const { client, keysSent, replayed } = trpcClient(server.url);
    const observer = new MutationObserver(queryClient(), {
      mutationFn: idempotentMutationFn((variables: Variables, key) =>
        client.pay.mutate(variables, { context: { idempotencyKey: key } }),
      ),
    });

    server.dropResponses('pay', 3);
    const result = await observer.mutate({ amount: 7 });

    expect(keysSent).toHaveLength(4);
    expect(new Set(keysSent).size).toBe(1);
    expect(keysSent[0]).toMatch(UUID);
    expect(probe.runs('pay')).toBe(1);
    expect(result).toEqual({ amount: 7, key: JSON.parse(keysSent[0]!), run: 1 });
    expect(replayed).toEqual(['true']);
    expect(observer.getCurrentResult()).toMatchObject({ status: 'success', failureCount: 0 });
  });

  it('gives two mutate() calls two keys and two runs, even with the same variables object', async () => {
    const { server, probe } = await startServer();
    const { client, keysSent, replayed } = trpcClient(server.url);
    const observer = new MutationObserver(queryClient(), {
      mutationFn: idempotentMutationFn((variables: Variables, key) =>
        client.pay.mutate(variables, { context: { idempotencyKey: key } }),
      ),
    });
    const variables = { amount: 3 };

    server.dropResponses('pay', 1);
    const first = await observer.mutate(variables);
    server.dropResponses('pay', 1);
    const second = await observer.mutate(variables);

    const keys = [...new Set(keysSent)];
    expect(keys).toHaveLength(2);
    expect(keysSent).toEqual([keys[0], keys[0], keys[1], keys[1]]);
    expect(probe.runs('pay')).toBe(2);
    expect(first.run).toBe(1);
    expect(second.run).toBe(2);
    expect(replayed).toEqual(['true', 'true']);
  });

  it('uses a caller-chosen key from keyFrom as given: a second mutate() with it is answered by replay', async () => {
    const { server, probe } = await startServer();
    const { client, keysSent, replayed } = trpcClient(server.url);
    const observer = new MutationObserver(queryClient(), {
      mutationFn: idempotentMutationFn(
        (variables: Variables, key) => client.pay.mutate(variables, { context: { idempotencyKey: key } }),
        { keyFrom: (variables) => variables.requestId, generateKey: () => 'never' },
      ),
    });

    server.dropResponses('pay', 1);
    const first = await observer.mutate({ amount: 4, requestId: 'checkout-42' });
    const again = await observer.mutate({ amount: 4, requestId: 'checkout-42' });

    expect(keysSent).toEqual(['"checkout-42"', '"checkout-42"', '"checkout-42"']);
    expect(probe.runs('pay')).toBe(1);
    expect(first).toEqual({ amount: 4, key: 'checkout-42', run: 1 });
    expect(again).toEqual(first);
    expect(replayed).toEqual(['true', 'true']);
  });

  it('works through QueryClient defaults (setMutationDefaults) and hands fn the MutationFunctionContext', async () => {
    const { server, probe } = await startServer();
    const { client, keysSent } = trpcClient(server.url);
    const qc = queryClient();
    const contexts: MutationFunctionContext[] = [];
    qc.setMutationDefaults(['pay'], {
      mutationFn: idempotentMutationFn((variables: Variables, key, context) => {
        contexts.push(context);
        return client.pay.mutate(variables, { context: { idempotencyKey: key } });
      }),
    });

    server.dropResponses('pay', 2);
    await new MutationObserver<unknown, Error, Variables>(qc, { mutationKey: ['pay'] }).mutate({ amount: 9 });

    expect(new Set(keysSent).size).toBe(1);
    expect(probe.runs('pay')).toBe(1);
    expect(contexts).toHaveLength(3);
    expect(new Set(contexts).size).toBe(1);
    expect(contexts[0]).toMatchObject({ client: qc, mutationKey: ['pay'] });
  });

  it('refuses to run without a MutationFunctionContext instead of minting a key per attempt', async () => {
    const fn = idempotentMutationFn(async (_: void, key) => key);
    await expect((fn as unknown as (variables: void) => Promise<string>)(undefined)).rejects.toThrow(TypeError);
  });
});
