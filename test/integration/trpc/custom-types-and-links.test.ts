/**
 * Continued: more tRPC and core attacks. Every test asserts the README's
 * promise; a red test is a violation.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import superjson from 'superjson';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { createIdempotencyEngine } from '../../../src/core/engine.js';
import { isIdempotencyError } from '../../../src/core/errors.js';
import { resolveKey } from '../../../src/core/key.js';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { idempotency } from '../../../src/trpc/index.js';
import { counter, makeT, redisStore, serve, sleep, type Ctx } from '../../support/servers/trpc/servers.js';

async function post(url: string, path: string, body: BodyInit, headers: Record<string, string>) {
  const response = await fetch(`${url}/${path}`, { method: 'POST', headers, body });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    json: (await response.json()) as { result?: { data: unknown } },
  };
}
const json = (input: unknown) => JSON.stringify(superjson.serialize(input));

/** A value type whose state is private, sent with a superjson custom transformer (as Temporal or money types are). */
class Money {
  readonly #cents: bigint;
  constructor(cents: bigint) {
    this.#cents = cents;
  }
  get cents(): bigint {
    return this.#cents;
  }
}
superjson.registerCustom<Money, string>(
  {
    isApplicable: (v): v is Money => v instanceof Money,
    serialize: (m) => m.cents.toString(),
    deserialize: (s) => new Money(BigInt(s)),
  },
  'rb-money',
);

/** The same with a toJSON(), which the fingerprint reads. */
class JsonMoney {
  readonly #cents: bigint;
  constructor(cents: bigint) {
    this.#cents = cents;
  }
  get cents(): bigint {
    return this.#cents;
  }
  toJSON(): string {
    return `${this.#cents} cents`;
  }
}
superjson.registerCustom<JsonMoney, string>(
  {
    isApplicable: (v): v is JsonMoney => v instanceof JsonMoney,
    serialize: (m) => m.cents.toString(),
    deserialize: (s) => new JsonMoney(BigInt(s)),
  },
  'rb-json-money',
);

describe('more fingerprint attacks', () => {
  it('a class with private state and no toJSON() sent through a superjson custom transformer: refused with 400, never 5 € answered for 5 000 €', async () => {
    const t = makeT();
    const probe = counter();
    const router = t.router({
      transfer: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('rb-money'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: Money })
        .mutation(({ input }) => {
          probe.ran('transfer');
          return { sent: input.amount.cents };
        }),
    });
    const url = await serve(router);
    const headers = { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': '"transfer-1"' };
    const small = await post(url, 'transfer', json({ amount: new Money(500n) }), headers);
    const large = await post(url, 'transfer', json({ amount: new Money(500_000n) }), headers);
    // Its value is invisible to the fingerprint, so it is refused (the fix of review B A9), never hashed as empty.
    expect([small.status, large.status]).toEqual([400, 400]);
    expect(large.json).toMatchObject({
      error: { json: { data: { idempotency: { code: 'IDEMPOTENCY_INPUT_INVALID' } } } },
    });
    expect(probe.runs('transfer')).toBe(0);
  });

  it('the same value type with a toJSON(): 5 € and 5 000 € under one key are told apart (422), the same amount replays', async () => {
    const t = makeT();
    const probe = counter();
    const router = t.router({
      transfer: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('rb-json-money'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: JsonMoney })
        .mutation(({ input }) => {
          probe.ran('transfer');
          return { sent: input.amount.cents };
        }),
    });
    const url = await serve(router);
    const headers = { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': '"transfer-2"' };
    const small = await post(url, 'transfer', json({ amount: new JsonMoney(500n) }), headers);
    const again = await post(url, 'transfer', json({ amount: new JsonMoney(500n) }), headers);
    const large = await post(url, 'transfer', json({ amount: new JsonMoney(500_000n) }), headers);
    expect([small.status, again.status, large.status]).toEqual([200, 200, 422]);
    expect(again.replayed).toBe('true');
    expect(probe.runs('transfer')).toBe(1);
  });
});

describe('replays through other links', () => {
  it("wsLink: the handshake header is never a call's key, the input field is; two users with one key never share, retries replay", async () => {
    const t = makeT();
    const probe = counter();
    const router = t.router({
      pay: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('rb-ws'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: number; idempotencyKey?: string })
        .mutation(({ input, ctx }) => ({ run: probe.ran('pay'), by: ctx.user, amount: input.amount })),
    });
    const server = createServer();
    const wss = new WebSocketServer({ server });
    const handler = applyWSSHandler({
      wss,
      router,
      createContext: ({ req, info }) => ({ req, user: (info.connectionParams as { user?: string } | null)?.user }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
      handler.broadcastReconnectNotification();
      wss.close();
      server.close();
    }
  });
});

describe('core odds and ends', () => {
  it('one key written as a bare token, an sf-string, an sf-string with parameters, and an input field is one record', () => {
    const forms = [
      { header: 'abc-1' },
      { header: '"abc-1"' },
      { header: '"abc-1";v=2' },
      { header: ' "abc-1" ' },
      { argument: 'abc-1' },
      { header: '"abc-1"', argument: 'abc-1' },
    ];
    expect(new Set(forms.map((f) => resolveKey(f)))).toEqual(new Set(['abc-1']));
    for (const bad of [['"abc-1"', '"abc-1"'], '"abc-1", "abc-1"', 'abc-1, abc-1', '"abc\u00e9"']) {
      expect(() => resolveKey({ header: bad as string })).toThrow();
    }
  });

  it('memory store: a scope that fills its quota cannot lock others out or push their records out; running attempts still complete', async () => {
    const store = createMemoryStore({ maxRecords: 20, maxRecordsPerScope: 5 });
    const engine = createIdempotencyEngine({ store });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const victim = engine.execute({
      scope: 'victim',
      operation: 'pay',
      key: 'v',
      input: 1,
      run: async () => {
        await gate;
        return 'victim-paid';
      },
    });
    for (let i = 0; i < 5; i++)
      await engine.execute({ scope: 'mallory', operation: 'pay', key: `m${i}`, input: 1, run: async () => i });
    const refused = await engine
      .execute({ scope: 'mallory', operation: 'pay', key: 'm-extra', input: 1, run: async () => 'x' })
      .catch((e: unknown) => e);
    expect(isIdempotencyError(refused) && refused.code).toBe('IDEMPOTENCY_STORE_UNAVAILABLE');
    release();
    expect(await victim).toEqual({ value: 'victim-paid', replayed: false });
    expect(
      await engine.execute({ scope: 'victim', operation: 'pay', key: 'v', input: 1, run: async () => 'again' }),
    ).toEqual({ value: 'victim-paid', replayed: true });
    expect(
      await engine.execute({ scope: 'bob', operation: 'pay', key: 'b', input: 1, run: async () => 'bob' }),
    ).toEqual({ value: 'bob', replayed: false });
  });

  it('a key freed by a body that threw, then run again with OTHER input, is a new run (documented); the same key never replays across operations', async () => {
    const engine = createIdempotencyEngine({ store: createMemoryStore() });
    await engine
      .execute({
        scope: 'u',
        operation: 'refund',
        key: 'k',
        input: { order: 1 },
        run: async () => Promise.reject(new Error('boom')),
      })
      .catch(() => {});
    const refund = await engine.execute({
      scope: 'u',
      operation: 'refund',
      key: 'k',
      input: { order: 2 },
      run: async () => 'refund-2',
    });
    const charge = await engine.execute({
      scope: 'u',
      operation: 'charge',
      key: 'k',
      input: { order: 2 },
      run: async () => 'charge-2',
    });
    expect([refund.value, charge.value]).toEqual(['refund-2', 'charge-2']);
  });
});

afterAll(async () => {
  await sleep(10);
});
