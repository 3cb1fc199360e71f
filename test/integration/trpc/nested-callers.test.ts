/**
 * A procedure that calls other mutations through `createCaller(ctx)`: the outer request's
 * Idempotency-Key header never keys the nested calls. Origin: issue #18, December 2026.
 */
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../../src/trpc/index.js';
import { clientFor, counter, makeT, redisStore, rejection, serve, userOf } from './support.js';

function app() {
  const t = makeT();
  const runs = counter();
  const idempotent = idempotency({ store: redisStore('trpc-nested'), scope: ({ ctx }) => ctx.user });
  const mutation = t.procedure.use(idempotent);
  const writes: number[] = [];
  const charge = mutation
    .input((raw: unknown) => raw as { amount: number; idempotencyKey?: string })
    .mutation(({ input }) => {
      runs.ran('charge');
      writes.push(input.amount);
      return { charged: input.amount };
    });
  const inner = t.router({ charge });
  const router = t.router({
    charge,
    /** Keyed itself: two nested charges of its own. */
    checkout: mutation.mutation(async ({ ctx }) => {
      runs.ran('checkout');
      const caller = inner.createCaller(ctx);
      return [await caller.charge({ amount: 1 }), await caller.charge({ amount: 2 })];
    }),
    /** Not idempotent itself, with a copied context: its nested keyed procedure must not take its header. */
    plainCheckout: t.procedure.mutation(async ({ ctx }) => {
      const caller = inner.createCaller({ ...ctx });
      return [await caller.charge({ amount: 3 }), await caller.charge({ amount: 4 })];
    }),
    /** Nested calls keyed explicitly with derived keys: each runs once across retries of the outer one. */
    keyedCheckout: t.procedure.mutation(async ({ ctx }) => {
      const caller = inner.createCaller(ctx);
      return [
        await caller.charge({ amount: 5, idempotencyKey: 'nested-a' }),
        await caller.charge({ amount: 5, idempotencyKey: 'nested-a' }),
      ];
    }),
  });
  return { router, runs, writes };
}
type AppRouter = ReturnType<typeof app>['router'];

describe('nested createCaller calls inside a keyed HTTP call', () => {
  it('each nested call runs (no write lost), the outer call is keyed and replayed', async () => {
    const { router, runs, writes } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req, res: opts.res }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': 'order-1' });

    const first = await client.checkout.mutate();
    const retry = await client.checkout.mutate();

    expect(first).toEqual([{ charged: 1 }, { charged: 2 }]);
    expect(retry).toEqual(first);
    expect(writes).toEqual([1, 2]);
    expect([runs.runs('checkout'), runs.runs('charge')]).toEqual([1, 2]);
  });

  it('concurrent keyed requests each run their own nested calls', async () => {
    const { router, writes } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req }));
    const results = await Promise.all(
      ['c-1', 'c-2', 'c-3'].map((key) =>
        clientFor<AppRouter>(url, { 'x-user': 'bob', 'Idempotency-Key': key }).checkout.mutate(),
      ),
    );

    expect(results).toEqual(Array.from({ length: 3 }, () => [{ charged: 1 }, { charged: 2 }]));
    expect(writes.sort()).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('under an outer procedure without the middleware, a keyed request refuses its unkeyed nested calls; nothing runs', async () => {
    const { router, writes } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'carol', 'Idempotency-Key': 'plain-1' });

    const error = await rejection(client.plainCheckout.mutate());

    expect(error.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toMatch(/"charge" was called inside the handling of another request/);
    expect(writes).toEqual([]);
  });

  it('under an outer procedure without the middleware, an unkeyed request runs its nested calls', async () => {
    const { router, writes } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req }));

    expect(await clientFor<AppRouter>(url, { 'x-user': 'carol' }).plainCheckout.mutate()).toEqual([
      { charged: 3 },
      { charged: 4 },
    ]);
    expect(writes).toEqual([3, 4]);
  });

  it('a nested call keyed by its own input field is idempotent on that key', async () => {
    const { router, writes } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'dave', 'Idempotency-Key': 'outer-1' });

    expect(await client.keyedCheckout.mutate()).toEqual([{ charged: 5 }, { charged: 5 }]);
    expect(writes).toEqual([5]);
  });

  it('the same procedure called directly over HTTP still takes the header', async () => {
    const { router, runs } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'erin', 'Idempotency-Key': 'direct-1' });

    await client.charge.mutate({ amount: 9 });
    await client.charge.mutate({ amount: 9 });

    expect(runs.runs('charge')).toBe(1);
  });
});
