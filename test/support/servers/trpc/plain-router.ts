import { initTRPC } from '@trpc/server';
import type { IdempotencyStore } from '../../../../src/core/store.js';
import { idempotency } from '../../../../src/trpc/index.js';
import { createProbe } from './probe.js';
import type { TestContext } from './router.js';

/**
 * A router without a transformer (plain JSON on the wire). An outer middleware records the type of
 * `chargedAt` as the idempotency middleware hands it back, so a test can see the server replay a `Date`.
 */
export function createPlainRouter(store: IdempotencyStore) {
  const probe = createProbe();
  const seen: string[] = [];
  const t = initTRPC.context<TestContext>().create();
  const inspect = t.middleware(async ({ next }) => {
    const result = await next();
    if (result.ok)
      seen.push((result.data as { chargedAt: unknown }).chargedAt instanceof Date ? 'Date' : typeof result.data);
    return result;
  });
  const idempotent = idempotency<TestContext>({ store, scope: ({ ctx }) => ctx.user });

  const router = t.router({
    pay: t.procedure
      .use(inspect)
      .use(idempotent)
      .input((raw: unknown) => raw as { amount: number })
      .mutation(({ input }) => {
        probe.ran('pay');
        return { amount: input.amount, chargedAt: new Date(Date.UTC(2024, 2, probe.runs('pay'))) };
      }),
  });
  return { router, probe, seen };
}

export type PlainRouter = ReturnType<typeof createPlainRouter>['router'];
