/**
 * tRPC over WebSocket (applyWSSHandler, wsLink): the handshake's headers belong to every call on the
 * connection, so an Idempotency-Key there is never one call's key; the input field is, per user.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { idempotency } from '../../../src/trpc/index.js';
import { redisStore, startWebSocketServer } from '../../support/servers/trpc/servers.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { makeT, type Ctx } from '../../support/servers/trpc/t.js';

const cleanups: (() => void)[] = [];
afterAll(async () => {
  cleanups.splice(0).forEach((f) => f());
  await sleep(10);
});

describe('a key in the WebSocket handshake', () => {
  it("wsLink: the handshake header is never a call's key, the input field is; two users with one key never share, retries replay", async () => {
    const t = makeT();
    const probe = createProbe();
    const router = t.router({
      pay: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('rb-ws'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: number; idempotencyKey?: string })
        .mutation(({ input, ctx }) => ({ run: probe.ran('pay'), by: ctx.user, amount: input.amount })),
    });
    const { url } = await startWebSocketServer(router);
    const connect = (user: string) => {
      class WithHandshakeKey extends NodeWebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { 'Idempotency-Key': '"connection-key"' } });
        }
      }
      const wsClient = createWSClient({
        url,
        connectionParams: { user },
        WebSocket: WithHandshakeKey as unknown as typeof WebSocket,
      });
      return {
        wsClient,
        client: createTRPCClient<typeof router>({ links: [wsLink({ client: wsClient, transformer: superjson })] }),
      };
    };
    const alice = connect('alice');
    const bob = connect('bob');
    try {
      const a1 = await alice.client.pay.mutate({ amount: 1 });
      const a2 = await alice.client.pay.mutate({ amount: 2 }); // no key in the input: runs, the handshake header is not its key
      const k1 = await alice.client.pay.mutate({ amount: 3, idempotencyKey: 'shared' });
      const k2 = await bob.client.pay.mutate({ amount: 3, idempotencyKey: 'shared' });
      const k1again = await alice.client.pay.mutate({ amount: 3, idempotencyKey: 'shared' });
      expect([a1.run, a2.run]).toEqual([1, 2]);
      expect(k1).toEqual({ run: 3, by: 'alice', amount: 3 });
      expect(k2).toEqual({ run: 4, by: 'bob', amount: 3 });
      expect(k1again).toEqual(k1);
      expect(probe.runs('pay')).toBe(4);
    } finally {
      await alice.wsClient.close();
      await bob.wsClient.close();
    }
  });
});

describe('tRPC over WebSocket with a createContext that exposes `headers` (the documented ctx.headers form), shared by the HTTP and WS adapters', () => {
  it('the connection’s handshake header is not one call’s key: two separate transfers on one connection both run', async () => {
    type C = { headers: Record<string, string | string[] | undefined>; user: string | undefined };
    const t = makeT<C>();
    let runs = 0;
    const router = t.router({
      transfer: t.procedure
        .use(idempotency<C>({ store: redisStore('ws-headers'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { to: string; cents: number })
        .mutation(({ input }) => {
          runs++;
          return { run: runs, ...input };
        }),
    });
    // One createContext for both adapters: it exposes the request headers as ctx.headers (a Node headers object).
    const createContext = ({ req }: { req: { headers: Record<string, string | string[] | undefined> } }) => ({
      headers: req.headers,
      user: typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : undefined,
    });
    const server = await startWebSocketServer(router, { createContext });
    // A Node client whose handshake carries a header (e.g. set once by a proxy or an SDK default).
    class KeyedSocket extends NodeWebSocket {
      constructor(url: string) {
        super(url, { headers: { 'x-user': 'alice', 'idempotency-key': '"connection-key"' } });
      }
    }
    const wsClient = createWSClient({ url: server.url, WebSocket: KeyedSocket as never });
    cleanups.push(() => void wsClient.close());
    const client = createTRPCClient<typeof router>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    const first = await client.transfer.mutate({ to: 'bob', cents: 100 });
    const second = await client.transfer.mutate({ to: 'bob', cents: 100 }).catch((error: unknown) => error);
    // Docs: "Over WebSocket … headers belong to every call on the connection: no header is read there."
    wsClient.close();
    server.dropConnections();
    expect(second).not.toEqual(first);
    expect(runs).toBe(2);
    expect(first).toMatchObject({ run: 1 });
    expect(second).toMatchObject({ run: 2 });
  });
});
