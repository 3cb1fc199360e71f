/**
 * TRPC attacks (real standalone HTTP server, real WebSocket server, real Redis).
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { createServer } from 'node:http';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import superjson from 'superjson';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { idempotency, idempotencyErrorData, type IdempotencyMeta } from '../../../src/trpc/index.js';
import { listen, redisStore } from '../../support/servers/yoga.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.splice(0).forEach((f) => f()));

function makeT<C extends object>() {
  return initTRPC
    .context<C>()
    .meta<IdempotencyMeta>()
    .create({
      transformer: superjson,
      errorFormatter: ({ shape, error }) => ({
        ...shape,
        data: { ...shape.data, idempotency: idempotencyErrorData(error) },
      }),
    });
}

/** A value type with one public field and its amount in private state, sent with a superjson custom transformer. */
class Amount {
  readonly currency: string;
  readonly #cents: number;
  constructor(currency: string, cents: number) {
    this.currency = currency;
    this.#cents = cents;
  }
  get cents(): number {
    return this.#cents;
  }
}
superjson.registerCustom<Amount, string>(
  {
    isApplicable: (v): v is Amount => v instanceof Amount,
    serialize: (a) => JSON.stringify([a.currency, a.cents]),
    deserialize: (s) => {
      const [currency, cents] = JSON.parse(s) as [string, number];
      return new Amount(currency, cents);
    },
  },
  'round3-amount',
);

describe('a class instance with one public field and its amount in #private state (superjson custom type)', () => {
  it('5 € and 5 000 € under one key are two requests: the second is 422 (or 400), never the 5 € transfer replayed', async () => {
    type C = { user: string | undefined };
    const t = makeT<C>();
    let runs = 0;
    const router = t.router({
      transfer: t.procedure
        .use(idempotency<C>({ store: redisStore('amount'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: Amount })
        .mutation(({ input }) => {
          runs++;
          return { sentCents: input.amount.cents };
        }),
    });
    const server = createHTTPServer({
      router,
      createContext: ({ req, res }) => ({ req, res, user: req.headers['x-user'] as string | undefined }),
    });
    const port = await listen(server as never);
    const send = async (cents: number) => {
      const response = await fetch(`http://127.0.0.1:${port}/transfer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': '"t-1"' },
        body: JSON.stringify(superjson.serialize({ amount: new Amount('EUR', cents) })),
      });
      return {
        status: response.status,
        replayed: response.headers.get('idempotent-replayed'),
        body: (await response.json()) as { result?: { data: { json: unknown } } },
      };
    };
    // The fingerprint cannot see #cents, so neither request is fingerprinted blind: both are refused, nothing runs.
    const small = await send(500);
    const large = await send(500_000);
    expect([small.status, large.status]).toEqual([400, 400]);
    expect(JSON.stringify(large.body)).toMatch(/an instance of Amount has no toJSON\(\)/);
    expect(large.replayed).toBeNull();
    expect(runs).toBe(0);
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
    const httpServer = createServer();
    const wss = new WebSocketServer({ server: httpServer });
    const handler = applyWSSHandler({ wss, router, createContext });
    const port = await listen(httpServer);
    cleanups.push(() => {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
    });
    // A Node client whose handshake carries a header (e.g. set once by a proxy or an SDK default).
    class KeyedSocket extends NodeWebSocket {
      constructor(url: string) {
        super(url, { headers: { 'x-user': 'alice', 'idempotency-key': '"connection-key"' } });
      }
    }
    const wsClient = createWSClient({ url: `ws://127.0.0.1:${port}`, WebSocket: KeyedSocket as never });
    cleanups.push(() => void wsClient.close());
    void handler;
    const client = createTRPCClient<typeof router>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    const first = await client.transfer.mutate({ to: 'bob', cents: 100 });
    const second = await client.transfer.mutate({ to: 'bob', cents: 100 }).catch((error: unknown) => error);
    // Docs: "Over WebSocket … headers belong to every call on the connection: no header is read there."
    wsClient.close();
    for (const socket of wss.clients) socket.terminate();
    expect(second).not.toEqual(first);
    expect(runs).toBe(2);
    expect(first).toMatchObject({ run: 1 });
    expect(second).toMatchObject({ run: 2 });
  });
});
