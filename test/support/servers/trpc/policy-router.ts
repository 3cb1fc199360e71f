import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z, ZodError } from 'zod';
import type { IdempotencyStore } from '../../../../src/core/store.js';
import { idempotency, idempotencyErrorData } from '../../../../src/trpc/index.js';
import { createProbe } from './probe.js';
import type { TestContext } from './router.js';

/** A cause the formatter reads by its own properties, not by its class (never registered on the serializer). */
export class LedgerLockedError extends Error {
  readonly reason = 'ledger-locked';
  constructor(
    readonly account: string,
    readonly since: Date,
  ) {
    super(`Account ${account} is locked`);
    this.name = 'LedgerLockedError';
  }
}

/**
 * A router in production mode (no stack in error bodies) whose errorFormatter derives data from
 * the error's cause, as tRPC's documented zod formatter does; each procedure shows one case of the
 * error policy. `probe` counts the runs of each procedure body.
 */
export function createPolicyRouter(store: IdempotencyStore) {
  const probe = createProbe();
  const t = initTRPC.context<TestContext>().create({
    isDev: false,
    transformer: superjson,
    errorFormatter: ({ shape, error }) => ({
      ...shape,
      data: {
        ...shape.data,
        idempotency: idempotencyErrorData(error),
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
        ledger:
          error.cause instanceof Error && 'account' in error.cause ? { ...error.cause, name: error.cause.name } : null,
      },
    }),
  });
  const mutation = t.procedure.use(idempotency<TestContext>({ store, scope: ({ ctx }) => ctx.user }));
  const count = (path: string) => {
    probe.ran(path);
    return probe.runs(path);
  };

  const router = t.router({
    /** Returns an output that its `.output()` validator refuses. */
    misshaped: mutation.output(z.object({ id: z.string() })).mutation(() => {
      count('misshaped');
      return { id: 42 } as unknown as { id: string };
    }),
    /** Validates its input with zod: a bad input never reaches the body. */
    transfer: mutation
      .input(z.object({ amount: z.number().positive(), note: z.string().max(5) }))
      .mutation(({ input }) => ({
        run: count('transfer'),
        amount: input.amount,
      })),
    /** Refuses the first run with TOO_MANY_REQUESTS (transient), then succeeds. */
    throttled: mutation.mutation(() => {
      const run = count('throttled');
      if (run === 1) throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'Slow down' });
      return { run };
    }),
    /** Always NOT_FOUND, with the run in the message: a replay shows run 1. */
    missing: mutation.mutation(() => {
      throw new TRPCError({ code: 'NOT_FOUND', message: `No such order (run ${count('missing')})` });
    }),
    /** Always FORBIDDEN, caused by an error whose own properties the formatter exposes. */
    locked: mutation.mutation(() => {
      const run = count('locked');
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `Locked (run ${run})`,
        cause: new LedgerLockedError(`acct-${run}`, new Date(Date.UTC(2024, 4, run))),
      });
    }),
    /** Crashes on the first run (a plain Error), then succeeds. */
    crashing: mutation.mutation(() => {
      const run = count('crashing');
      if (run === 1) throw new Error('database connection reset');
      return { run };
    }),
  });
  return { router, probe };
}

export type PolicyRouter = ReturnType<typeof createPolicyRouter>['router'];
