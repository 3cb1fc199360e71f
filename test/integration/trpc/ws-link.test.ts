/**
 * TRPC v11 over a real WebSocket server (applyWSSHandler) and real wsLink clients, Redis
 * store. Two sockets of one user racing a key, a socket closed mid-mutation then the retry on a new
 * socket, a server-side drop while a mutation is in flight (wsClient reconnects), a subscription
 * on the same socket.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { idempotency } from '../../../src/trpc/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startWebSocketServer } from '../../support/servers/trpc/servers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(bodyMs: number) {
  const t = initTRPC.context<{ user?: string }>().create({ transformer: superjson });
  let runs = 0;
  const router = t.router({
    pay: t.procedure
      .use(
        idempotency<{ user?: string }>({
          store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('r5-trpc-ws') }),
          scope: ({ ctx }) => ctx.user,
          transformer: superjson,
        }),
      )
      .input((raw: unknown) => raw as { amount: number; idempotencyKey?: string })
      .mutation(async ({ input, ctx }) => {
        runs++;
        await sleep(bodyMs);
        return { id: crypto.randomUUID(), by: ctx.user, amount: input.amount, at: new Date() };
      }),
    ticks: t.procedure
      .input((raw: unknown) => raw as { n: number; idempotencyKey?: string })
      .subscription(async function* ({ input }) {
        for (let i = 0; i < input.n; i++) {
          await sleep(20);
          yield i;
        }
      }),
  });
  const server = await startWebSocketServer(router);
  cleanups.push(server.close);
  const connect = (user: string) => {
    const wsClient = createWSClient({
      url: server.url,
      connectionParams: { user },
      WebSocket: NodeWebSocket as unknown as typeof WebSocket,
      retryDelayMs: () => 50,
    });
    cleanups.push(() => wsClient.close());
    return {
      wsClient,
      client: createTRPCClient<typeof router>({ links: [wsLink({ client: wsClient, transformer: superjson })] }),
    };
  };
  return { connect, runs: () => runs, dropSockets: server.dropConnections };
}

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: { data?: { code?: string }; message?: string }) => e.data?.code ?? `ERR:${e.message}`,
  );

describe('tRPC wsLink', () => {
  it('two sockets of one user race one key: one run, the other CONFLICT, then the same output (a Date) replayed', async () => {
    const s = await start(300);
    const a = s.connect('alice');
    const b = s.connect('alice');
    const pa = a.client.pay.mutate({ amount: 5, idempotencyKey: 't1' });
    const pb = b.client.pay.mutate({ amount: 5, idempotencyKey: 't1' });
    const [ca, cb] = await Promise.all([codeOf(pa), codeOf(pb)]);
    expect([ca, cb].sort()).toEqual(['CONFLICT', 'OK']);
    const first = await (ca === 'OK' ? pa : pb);
    const again = await s.connect('alice').client.pay.mutate({ amount: 5, idempotencyKey: 't1' });
    expect(again).toEqual(first);
    expect(again.at).toBeInstanceOf(Date);
    expect(s.runs()).toBe(1);
  });

  it('the client closes its socket mid-mutation; the retry on a new socket gets CONFLICT while it runs, then the replay: one run', async () => {
    const s = await start(400);
    const a = s.connect('alice');
    const lost = codeOf(a.client.pay.mutate({ amount: 9, idempotencyKey: 't2' }));
    await expect.poll(() => s.runs()).toBe(1);
    const t0 = Date.now();
    await a.wsClient.close();
    const lostCode = await lost;
    const closedAfter = Date.now() - t0;
    const b = s.connect('alice');
    const retried = await codeOf(b.client.pay.mutate({ amount: 9, idempotencyKey: 't2' }));
    // CONFLICT while it runs; OK only if the first already finished (wsClient.close() may wait for it)
    expect(
      retried === 'CONFLICT' || (retried === 'OK' && lostCode === 'OK') || closedAfter >= 350,
      `${retried} ${lostCode} ${closedAfter}`,
    ).toBe(true);
    await sleep(500);
    const replay = await b.client.pay.mutate({ amount: 9, idempotencyKey: 't2' });
    expect(replay.amount).toBe(9);
    expect(await codeOf(b.client.pay.mutate({ amount: 90, idempotencyKey: 't2' }))).toBe('UNPROCESSABLE_CONTENT');
    expect(s.runs()).toBe(1);
  });

  it('the server drops the socket while a mutation is in flight; whatever wsClient does on reconnect, the body runs once', async () => {
    const s = await start(400);
    const a = s.connect('alice');
    const inflight = codeOf(a.client.pay.mutate({ amount: 3, idempotencyKey: 't3' }));
    await expect.poll(() => s.runs()).toBe(1);
    s.dropSockets();
    const outcome = await inflight;
    await sleep(500);
    const replay = await a.client.pay.mutate({ amount: 3, idempotencyKey: 't3' });
    expect(replay.amount).toBe(3);
    expect(s.runs()).toBe(1);
    expect(['OK', 'CONFLICT']).toContain(outcome.startsWith('ERR:') ? 'CONFLICT' : outcome);
  });

  it('a subscription with an idempotencyKey input on the same socket passes through; the keyed mutation beside it runs once', async () => {
    const s = await start(50);
    const a = s.connect('alice');
    const ticks: number[] = [];
    const done = new Promise<void>((resolve, reject) => {
      a.client.ticks.subscribe(
        { n: 4, idempotencyKey: 't4' },
        { onData: (v) => ticks.push(v as number), onError: reject, onComplete: resolve },
      );
    });
    const [m1] = await Promise.all([a.client.pay.mutate({ amount: 1, idempotencyKey: 't4' }), done]);
    const m2 = await a.client.pay.mutate({ amount: 1, idempotencyKey: 't4' });
    expect(ticks).toEqual([0, 1, 2, 3]);
    expect(m2).toEqual(m1);
    expect(s.runs()).toBe(1);
  });

  it('a keyed call on a socket without identity is UNAUTHORIZED and runs nothing; malformed keys are BAD_REQUEST', async () => {
    const s = await start(0);
    const anon = s.connect(undefined as unknown as string);
    expect(await codeOf(anon.client.pay.mutate({ amount: 1, idempotencyKey: 't5' }))).toBe('UNAUTHORIZED');
    const a = s.connect('alice');
    for (const bad of ['', 'x'.repeat(256), 'ü', 42, { a: 1 }]) {
      expect(await codeOf(a.client.pay.mutate({ amount: 1, idempotencyKey: bad as string }))).toBe('BAD_REQUEST');
    }
    expect(s.runs()).toBe(0);
  });
});
