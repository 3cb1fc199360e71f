import { createTRPCClient, httpLink } from '@trpc/client';
import { initTRPC, type TRPCCombinedDataTransformer, type TRPCDataTransformer } from '@trpc/server';
import superjson, { SuperJSON } from 'superjson';
import { describe, expect, it } from 'vitest';
import type { IdempotencyEvent } from '../../../src/core/events.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { idempotency, idempotencyErrorData } from '../../../src/trpc/index.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { rejection } from '../../support/servers/trpc/client.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import type { TestContext } from '../../support/servers/trpc/router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';
import { Money } from '../../support/money.js';

const redis = connectRedis();

/** Another one, which no transformer here knows. */
class Coupon {
  readonly #code: string;
  constructor(code: string) {
    this.#code = code;
  }
  get code(): string {
    return this.#code;
  }
}

/** A plain class, registered with `registerClass` on superjson's default instance (the default export). */
class Receipt {
  constructor(
    readonly id: string,
    readonly at: Date,
  ) {}
}
superjson.registerClass(Receipt, 'trpc-transformer-test-Receipt');

/** The app's own superjson instance, with the rule for Money, as the tRPC docs set it up. */
const appSuperjson = new SuperJSON();
appSuperjson.registerCustom<Money, string>(
  {
    isApplicable: (value): value is Money => value instanceof Money,
    serialize: (money) => money.cents.toString(),
    deserialize: (cents) => new Money(BigInt(cents)),
  },
  'trpc-transformer-test-Money',
);

/**
 * A router with `transformer`, whose `idempotency()` gets `middlewareTransformer`; its mutations
 * return a Money, a Coupon and a Receipt. `events` lists the engine's events.
 */
async function serve(
  transformer: TRPCDataTransformer | TRPCCombinedDataTransformer,
  middlewareTransformer?: TRPCDataTransformer | TRPCCombinedDataTransformer,
) {
  const probe = createProbe();
  const events: IdempotencyEvent[] = [];
  const t = initTRPC.context<TestContext>().create({
    transformer,
    errorFormatter: ({ shape, error }) => ({
      ...shape,
      data: { ...shape.data, idempotency: idempotencyErrorData(error) },
    }),
  });
  const mutation = t.procedure.use(
    idempotency<TestContext>({
      store: createRedisStore({ redis, prefix: uniquePrefix('trpc-transformer') }),
      scope: ({ ctx }) => ctx.user,
      transformer: middlewareTransformer,
      onEvent: (event) => events.push(event),
    }),
  );
  const router = t.router({
    quote: mutation.mutation(() => {
      probe.ran('quote');
      return { price: new Money(1_999n), run: probe.runs('quote') };
    }),
    coupon: mutation.mutation(() => {
      probe.ran('coupon');
      return { coupon: new Coupon('WELCOME') };
    }),
    receipt: mutation.mutation(() => {
      probe.ran('receipt');
      return { receipt: new Receipt(`receipt-${probe.runs('receipt')}`, new Date(Date.UTC(2024, 5, 1))) };
    }),
  });
  const { url } = await startStandaloneServer(router);
  const client = (key: string) =>
    createTRPCClient<typeof router>({
      links: [httpLink({ url, transformer, headers: { 'x-user': 'alice', 'idempotency-key': `"${key}"` } })],
    });
  return { client, probe, events };
}

describe("idempotency() with the app's transformer (option `transformer`)", () => {
  it('replays an output holding a type registered on it as that type', async () => {
    const app = await serve(appSuperjson, appSuperjson);
    const first = await app.client('quote-1').quote.mutate();
    const replay = await app.client('quote-1').quote.mutate();

    expect(app.probe.runs('quote')).toBe(1);
    expect(first.price).toBeInstanceOf(Money);
    expect(replay.price).toBeInstanceOf(Money);
    expect([replay.price.cents, replay.run]).toEqual([1_999n, 1]);
  });

  it('uses the output half of a combined transformer', async () => {
    const combined = { input: appSuperjson, output: appSuperjson };
    const app = await serve(combined, combined);
    const first = await app.client('quote-2').quote.mutate();
    const replay = await app.client('quote-2').quote.mutate();

    expect(app.probe.runs('quote')).toBe(1);
    expect([first.price.cents, replay.price.cents]).toEqual([1_999n, 1_999n]);
    expect(replay.price).toBeInstanceOf(Money);
  });

  it("knows the classes registered on superjson's default export (`transformer: superjson`)", async () => {
    const app = await serve(superjson, superjson);
    const first = await app.client('receipt-1').receipt.mutate();
    const replay = await app.client('receipt-1').receipt.mutate();

    expect(app.probe.runs('receipt')).toBe(1);
    expect(replay).toEqual(first);
    expect(replay.receipt).toBeInstanceOf(Receipt);
    expect(replay.receipt.at).toBeInstanceOf(Date);
  });

  it('does not store an output holding a class the transformer does not restore: its repeat is refused, never `{}`, never run again', async () => {
    const app = await serve(appSuperjson, appSuperjson);
    const first = await app.client('coupon-1').coupon.mutate();
    const repeat = await rejection(app.client('coupon-1').coupon.mutate());

    expect(app.probe.runs('coupon')).toBe(1);
    expect(first.coupon).toEqual({}); // what superjson sends the first time: the app's own choice
    expect(repeat.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(repeat.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_RESULT_NOT_STORED' });
    const notStored = app.events.find((event) => event.type === 'result-not-stored');
    expect((notStored?.error as Error | undefined)?.message).toBe(
      "The procedure's output cannot be stored for replay: output.coupon is an instance of Coupon, which the serializer does not restore.",
    );
  });
});

describe("idempotency() without the option `transformer`, in an app whose transformer knows a type the library's serializer does not", () => {
  it('refuses the repeat (IDEMPOTENCY_RESULT_NOT_STORED) rather than replaying the value as `{}`', async () => {
    const app = await serve(appSuperjson);
    const first = await app.client('quote-3').quote.mutate();
    const repeat = await rejection(app.client('quote-3').quote.mutate());

    expect(app.probe.runs('quote')).toBe(1);
    expect(first.price.cents).toBe(1_999n);
    expect(repeat.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_RESULT_NOT_STORED' });
  });
});
