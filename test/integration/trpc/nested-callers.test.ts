/**
 * A procedure that calls other mutations through `createCaller(ctx)`: the outer request's
 * Idempotency-Key header never keys the nested calls, whatever the context shows (`req`, plain
 * `headers`, `info`) and however the call is made (with or without a `signal`); a server-side call
 * without a transport signal never takes a header either. Origin: issue #18, December 2026.
 * Includes reproductions from the adversarial review of December 2026.
 */
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { idempotency } from '../../../src/trpc/index.js';
import { clientFor, rejection } from '../../support/servers/trpc/client.js';
import { redisStore, serve, userOf } from '../../support/servers/trpc/servers.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { makeT } from '../../support/servers/trpc/t.js';

/** The context shapes a `createContext` may return: the request, its plain headers, its headers and `info`. */
const contexts = {
  req: (opts: CreateHTTPContextOptions) => ({ user: userOf(opts), req: opts.req }),
  headers: (opts: CreateHTTPContextOptions) => ({ user: userOf(opts), headers: opts.req.headers }),
  'headers and info': (opts: CreateHTTPContextOptions) => ({
    user: userOf(opts),
    headers: opts.req.headers,
    info: opts.info,
  }),
};

function app() {
  const t = makeT();
  const runs = createProbe();
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
    /** Not idempotent itself, forwarding its own transport signal: the nested calls look like transport calls. */
    signalCheckout: t.procedure.mutation(async ({ ctx, signal }) => {
      const caller = inner.createCaller(ctx, { signal });
      return [await caller.charge({ amount: 6 }), await caller.charge({ amount: 7 })];
    }),
    /** A query (passed through by the middleware, unkeyed) that makes a nested keyed mutation. */
    chargeFromQuery: mutation.query(async ({ ctx }) => inner.createCaller(ctx).charge({ amount: 8 })),
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
  for (const [shape, createContext] of Object.entries(contexts)) {
    it(`each nested call runs (no write lost), the outer call is keyed and replayed (context with ${shape})`, async () => {
      const { router, runs, writes } = app();
      const url = await serve(router, createContext);
      const client = clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': 'order-1' });

      const first = await client.checkout.mutate();
      const retry = await client.checkout.mutate();

      expect(first).toEqual([{ charged: 1 }, { charged: 2 }]);
      expect(retry).toEqual(first);
      expect(writes).toEqual([1, 2]);
      expect([runs.runs('checkout'), runs.runs('charge')]).toEqual([1, 2]);
    });
  }

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

  for (const [shape, createContext] of Object.entries(contexts)) {
    it(`under an outer procedure without the middleware, a keyed request refuses its unkeyed nested calls; nothing runs (context with ${shape})`, async () => {
      const { router, writes } = app();
      const url = await serve(router, createContext);
      const client = clientFor<AppRouter>(url, { 'x-user': 'carol', 'Idempotency-Key': 'plain-1' });

      const error = await rejection(client.plainCheckout.mutate());
      const retry = await rejection(client.plainCheckout.mutate());

      for (const refused of [error, retry]) {
        expect(refused.data?.code).toBe('INTERNAL_SERVER_ERROR');
        expect(refused.message).toMatch(/"charge" was called inside the handling of another request/);
      }
      expect(writes).toEqual([]);
    });
  }

  it('forwarding the outer signal: a context with `req` refuses the first nested call; nothing runs', async () => {
    const { router, writes } = app();
    const url = await serve(router, contexts.req);
    const client = clientFor<AppRouter>(url, { 'x-user': 'carol', 'Idempotency-Key': 'signal-1' });

    const error = await rejection(client.signalCheckout.mutate());

    expect(error.message).toMatch(/"charge" was called inside the handling of another request/);
    expect(writes).toEqual([]);
  });

  it("forwarding the outer signal with plain headers only: the second nested call is refused, never answered with the first one's result", async () => {
    const { router, writes } = app();
    const url = await serve(router, contexts.headers);
    const client = clientFor<AppRouter>(url, { 'x-user': 'carol', 'Idempotency-Key': 'signal-2' });

    const error = await rejection(client.signalCheckout.mutate());
    const retry = await rejection(client.signalCheckout.mutate());

    // The first nested call cannot be told from the transport's own call: it takes the header (and is
    // replayed on the retry); the second shares its signal, so it is seen as nested and refused loudly.
    for (const refused of [error, retry]) {
      expect(refused.data?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(refused.message).toMatch(/"charge" was called inside the handling of another request/);
    }
    expect(writes).toEqual([6]);
  });

  it('a query (unkeyed under the middleware) refuses a nested keyed mutation when the request carries a key header', async () => {
    const { router, writes } = app();
    const url = await serve(router, contexts.headers);
    const client = clientFor<AppRouter>(url, { 'x-user': 'carol', 'Idempotency-Key': 'query-1' });

    const error = await rejection(client.chargeFromQuery.query());

    expect(error.message).toMatch(/"charge" was called inside the handling of another request/);
    expect(writes).toEqual([]);
    expect(await clientFor<AppRouter>(url, { 'x-user': 'carol' }).chargeFromQuery.query()).toEqual({ charged: 8 });
    expect(writes).toEqual([8]);
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

describe('a server-side call (createCaller) whose context carries the request headers', () => {
  function payApp() {
    const t = makeT();
    const runs = createProbe();
    const router = t.router({
      pay: t.procedure
        .use(idempotency({ store: redisStore('trpc-server-side'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: number; idempotencyKey?: string })
        .mutation(({ input }) => ({ run: runs.ran('pay'), amount: input.amount })),
    });
    return { router, runs };
  }
  const ctx = { user: 'frank', headers: { 'idempotency-key': 'server-1' } };

  it('without a signal, refuses a call keyed only by that header; nothing runs', async () => {
    const { router, runs } = payApp();
    const caller = router.createCaller(ctx);

    const outcomes = await Promise.allSettled([caller.pay({ amount: 1 }), caller.pay({ amount: 1 })]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ reason: 'IDEMPOTENCY_FOREIGN_KEY_HEADER' });
    }
    expect(runs.runs('pay')).toBe(0);
  });

  it('without a signal, runs a call keyed by its input field once', async () => {
    const { router, runs } = payApp();
    const caller = router.createCaller(ctx);

    const first = await caller.pay({ amount: 2, idempotencyKey: 'field-1' });
    const retry = await caller.pay({ amount: 2, idempotencyKey: 'field-1' });

    expect([first, retry]).toEqual([
      { run: 1, amount: 2 },
      { run: 1, amount: 2 },
    ]);
    expect(runs.runs('pay')).toBe(1);
  });

  it("given the request's own signal (one per request), takes the header: the repeat is replayed", async () => {
    const { router, runs } = payApp();

    const first = await router.createCaller(ctx, { signal: new AbortController().signal }).pay({ amount: 3 });
    const retry = await router.createCaller(ctx, { signal: new AbortController().signal }).pay({ amount: 3 });

    expect([first, retry]).toEqual([
      { run: 1, amount: 3 },
      { run: 1, amount: 3 },
    ]);
    expect(runs.runs('pay')).toBe(1);
  });

  it("one signal given to two calls: the second is refused, never answered with the first one's result", async () => {
    const { router, runs } = payApp();
    const caller = router.createCaller(ctx, { signal: new AbortController().signal });

    expect(await caller.pay({ amount: 4 })).toEqual({ run: 1, amount: 4 });
    await expect(caller.pay({ amount: 5 })).rejects.toMatchObject({ reason: 'IDEMPOTENCY_FOREIGN_KEY_HEADER' });
    expect(runs.runs('pay')).toBe(1);
  });
});

describe('a plain outer mutation making two nested charges, with a context of plain headers only', () => {
  it('two nested charges of one keyed request each run, or the call is refused loudly with nothing run', async () => {
    const t = makeT();
    const idempotent = idempotency({ store: createMemoryStore(), scope: ({ ctx }) => ctx.user });
    const writes: number[] = [];
    const charge = t.procedure
      .use(idempotent)
      .input((raw: unknown) => raw as { amount: number })
      .mutation(({ input }) => {
        writes.push(input.amount);
        return { charged: input.amount, n: writes.length };
      });
    const inner = t.router({ charge });
    const router = t.router({
      checkout: t.procedure.mutation(async ({ ctx }) => {
        const caller = inner.createCaller(ctx);
        return [await caller.charge({ amount: 10 }), await caller.charge({ amount: 10 })];
      }),
    });
    const url = await serve(router, ({ req }) => ({
      headers: req.headers,
      user: req.headers['x-user'] as string | undefined,
    }));
    const client = clientFor<typeof router>(url, { 'x-user': 'alice', 'Idempotency-Key': 'order-1' });

    // Refused loudly (the fix): nothing ran, and the refusal names the nested call.
    const outcome = await rejection(client.checkout.mutate());
    expect(writes).toEqual([]);
    expect(outcome.message).toMatch(/createCaller|nested|Idempotency/i);
    expect(outcome.message).toMatch(/"charge" was called inside the handling of another request/);

    // Without the key header, both charges run: no write lost, none answered with the other's result.
    const unkeyed = await clientFor<typeof router>(url, { 'x-user': 'alice' }).checkout.mutate();
    expect(writes).toEqual([10, 10]);
    expect(unkeyed).toEqual([
      { charged: 10, n: 1 },
      { charged: 10, n: 2 },
    ]);
  });
});
