/**
 * The fingerprint of tRPC inputs that are class instances sent through a superjson custom
 * transformer (money or Temporal-like value types), over real HTTP with the Redis store: state the
 * fingerprint cannot see (#private fields, no toJSON()) is refused with 400, never hashed as empty;
 * with a toJSON() other amounts under one key are 422 and the same amount replays.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../../src/trpc/index.js';
import { redisStore, serve } from '../../support/servers/trpc/servers.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { makeT, type Ctx } from '../../support/servers/trpc/t.js';
import { Money } from '../../support/money.js';

async function post(url: string, path: string, body: BodyInit, headers: Record<string, string>) {
  const response = await fetch(`${url}/${path}`, { method: 'POST', headers, body });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    json: (await response.json()) as { result?: { data: unknown } },
  };
}
const json = (input: unknown) => JSON.stringify(superjson.serialize(input));

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

describe('a class instance sent through a superjson custom transformer', () => {
  it('a class with private state and no toJSON() sent through a superjson custom transformer: refused with 400, never 5 € answered for 5 000 €', async () => {
    const t = makeT();
    const probe = createProbe();
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
    const probe = createProbe();
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

  it('one public field beside the amount in #private state: 5 € and 5 000 € under one key are two requests: the second is 422 (or 400), never the 5 € transfer replayed', async () => {
    const t = makeT();
    let runs = 0;
    const router = t.router({
      transfer: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('amount'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: Amount })
        .mutation(({ input }) => {
          runs++;
          return { sentCents: input.amount.cents };
        }),
    });
    const url = await serve(router);
    const send = async (cents: number) => {
      const response = await fetch(`${url}/transfer`, {
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
