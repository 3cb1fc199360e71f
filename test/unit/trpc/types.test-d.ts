import { initTRPC, type inferRouterInputs, type inferRouterOutputs } from '@trpc/server';
import superjson from 'superjson';
import { describe, expectTypeOf, it } from 'vitest';
import type { RunContext } from '../../../src/core/engine.js';
import { idempotency, type IdempotencyMeta } from '../../../src/trpc/index.js';

interface Context {
  user?: { id: string };
  requestId: string;
}

const t = initTRPC.context<Context>().meta<IdempotencyMeta>().create({ transformer: superjson });
const idempotent = idempotency<Context>({ scope: ({ ctx }) => ctx.user?.id });
const authed = t.middleware(({ ctx, next }) => next({ ctx: { user: ctx.user ?? { id: 'anonymous' } } }));
const parsePayment = (raw: unknown) => raw as { amount: number; idempotencyKey?: string };

export const router = t.router({
  pay: t.procedure
    .use(idempotent)
    .input(parsePayment)
    .mutation(({ input, ctx }) => ({
      amount: input.amount,
      at: new Date(),
      fence: ctx.idempotency.fence,
      requestId: ctx.requestId,
    })),
  payAfterAuth: t.procedure
    .use(authed)
    .input(parsePayment)
    .use(idempotent)
    .meta({ idempotency: { required: true } })
    .mutation(({ input, ctx }) => ({ userId: ctx.user.id, cents: BigInt(input.amount) * 100n })),
  ping: t.procedure.use(idempotent).query(() => 'pong' as const),
});

type Inputs = inferRouterInputs<typeof router>;
type Outputs = inferRouterOutputs<typeof router>;

describe('idempotency() in a procedure chain', () => {
  it('keeps the inferred input of the procedure', () => {
    expectTypeOf<Inputs['pay']>().toEqualTypeOf<{ amount: number; idempotencyKey?: string }>();
    expectTypeOf<Inputs['payAfterAuth']>().toEqualTypeOf<{ amount: number; idempotencyKey?: string }>();
  });

  it('keeps the inferred output of the procedure', () => {
    expectTypeOf<Outputs['pay']>().toEqualTypeOf<{
      amount: number;
      at: Date;
      fence: number | undefined;
      requestId: string;
    }>();
    expectTypeOf<Outputs['payAfterAuth']>().toEqualTypeOf<{ userId: string; cents: bigint }>();
    expectTypeOf<Outputs['ping']>().toEqualTypeOf<'pong'>();
  });

  it('keeps context added by earlier middlewares and adds the run context', () => {
    t.procedure
      .use(authed)
      .use(idempotent)
      .mutation(({ ctx }) => {
        expectTypeOf(ctx.user).toEqualTypeOf<{ id: string }>();
        expectTypeOf(ctx.idempotency).toEqualTypeOf<RunContext>();
        return null;
      });
  });

  it('rejects a middleware typed for another context', () => {
    const forOtherContext = idempotency<{ tenant: string }>({ scope: ({ ctx }) => ctx.tenant });
    // @ts-expect-error the procedure's context has no `tenant`
    t.procedure.use(forOtherContext);
  });

  it('requires the scope option', () => {
    // @ts-expect-error scope is required (pass `scope: false` for an anonymous scope)
    idempotency<Context>({});
  });
});
