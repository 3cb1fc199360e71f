/**
 * An input validator that refuses the input: the procedure never ran, nothing is stored, the key is
 * freed and the corrected input runs under it (Stripe's rule). Output validation stays stored (the
 * procedure ran). The key is freed only when the refusing validator is the first thing that ran
 * after the middleware; a refusal after another validator or middleware is stored (the conservative
 * rule). Origin: issue #18, December 2026.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { idempotency } from '../../../src/trpc/index.js';
import { clientFor, rejection } from '../../support/servers/trpc/client.js';
import { redisStore, serve, userOf } from '../../support/servers/trpc/servers.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { makeT } from '../../support/servers/trpc/t.js';

const schema = z.object({ amount: z.number().positive() });

function app() {
  const t = makeT();
  const runs = createProbe();
  const idempotent = idempotency({ store: redisStore('trpc-input'), scope: ({ ctx }) => ctx.user });
  const count = (name: string) => runs.ran(name);
  const nested = t.router({
    inner: t.procedure
      .use(idempotent)
      .input(schema)
      .mutation(({ input }) => input.amount),
  });
  const router = t.router({
    /** The usual order: the middleware before `.input()`. */
    before: t.procedure
      .use(idempotent)
      .input(schema)
      .mutation(({ input }) => ({ run: count('before'), amount: input.amount })),
    /** The middleware after `.input()`. */
    after: t.procedure
      .input(schema)
      .use(idempotent)
      .mutation(({ input }) => ({ run: count('after'), amount: input.amount })),
    /** Two validators; the second may refuse. */
    twice: t.procedure
      .use(idempotent)
      .input(schema)
      .input(z.object({ note: z.string().max(3) }))
      .mutation(({ input }) => ({ run: count('twice'), note: input.note })),
    /** The body throws a BAD_REQUEST of its own after its effect: stored, never run again. */
    bodyRefuses: t.procedure
      .use(idempotent)
      .input(schema)
      .mutation(() => {
        count('bodyRefuses');
        throw new TRPCError({ code: 'BAD_REQUEST', cause: new Error('card declined after capture') });
      }),
    /** The body lets a nested call's input validation error escape after its effect: stored. */
    nestedRefuses: t.procedure
      .use(idempotent)
      .input(schema)
      .mutation(async ({ ctx }) => {
        count('nestedRefuses');
        return nested.createCaller(ctx).inner({ amount: -1 });
      }),
    /** The output validator refuses what the body returned: the body ran, stored. */
    misshaped: t.procedure
      .use(idempotent)
      .input(schema)
      .output(z.object({ id: z.string() }))
      .mutation(() => {
        count('misshaped');
        return { id: 42 } as unknown as { id: string };
      }),
  });
  return { router, runs };
}
type AppRouter = ReturnType<typeof app>['router'];

async function start() {
  const { router, runs } = app();
  const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req, res: opts.res }));
  return { runs, client: (key: string) => clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': key }) };
}

describe('an input validator that refuses the input', () => {
  for (const order of ['before', 'after'] as const) {
    it(`(middleware ${order} \`.input()\`) stores nothing: the corrected input runs under the same key`, async () => {
      const { runs, client } = await start();
      const refused = await rejection(client(`${order}-1`)[order].mutate({ amount: -5 }));
      const corrected = await client(`${order}-1`)[order].mutate({ amount: 5 });
      const retry = await client(`${order}-1`)[order].mutate({ amount: 5 });

      expect(refused.data?.code).toBe('BAD_REQUEST');
      expect([corrected, retry]).toEqual([
        { run: 1, amount: 5 },
        { run: 1, amount: 5 },
      ]);
      expect(runs.runs(order)).toBe(1);
    });
  }

  it('a second validator that refuses is stored (something ran after the middleware): its retry is replayed', async () => {
    const { runs, client } = await start();
    const refused = await rejection(client('twice-1').twice.mutate({ amount: 5, note: 'far too long' }));
    const retry = await rejection(client('twice-1').twice.mutate({ amount: 5, note: 'far too long' }));
    const corrected = await client('twice-2').twice.mutate({ amount: 5, note: 'ok' });

    expect([refused.data?.code, retry.data?.code]).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    expect(retry.message).toBe(refused.message);
    expect(corrected).toEqual({ run: 1, note: 'ok' });
    expect(runs.runs('twice')).toBe(1);
  });

  it('input chaining: a middleware between two validators runs once per key when the second refuses', async () => {
    const t = makeT();
    let effects = 0;
    const router = t.router({
      pay: t.procedure
        .use(idempotency({ store: redisStore('trpc-input-chain'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { orgId: string; amount: number })
        .use(async ({ next }) => {
          effects++; // e.g. reserve funds / write an audit row
          return next();
        })
        .input((raw: unknown) => {
          const value = raw as { amount: number };
          if (value.amount > 100) throw new Error('amount too large');
          return value;
        })
        .mutation(() => 'ok'),
    });
    const url = await serve(router, (opts) => ({ req: opts.req, res: opts.res, user: userOf(opts) }));
    const client = clientFor<typeof router>(url, { 'x-user': 'a', 'Idempotency-Key': 'k10' });

    const first = await rejection(client.pay.mutate({ orgId: 'o', amount: 500 }));
    const retry = await rejection(client.pay.mutate({ orgId: 'o', amount: 500 }));

    expect([first.data?.code, retry.data?.code]).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    expect(effects).toBe(1);
  });

  it('a middleware that awaits before the first validator: its refusal is stored, the middleware runs once', async () => {
    const t = makeT();
    let effects = 0;
    const router = t.router({
      pay: t.procedure
        .use(idempotency({ store: redisStore('trpc-input-await'), scope: ({ ctx }) => ctx.user }))
        .use(async ({ next }) => {
          effects++;
          await Promise.resolve(); // e.g. an audit row written before the input is parsed
          return next();
        })
        .input(schema)
        .mutation(() => 'ok'),
    });
    const url = await serve(router, (opts) => ({ req: opts.req, user: userOf(opts) }));
    const client = clientFor<typeof router>(url, { 'x-user': 'a', 'Idempotency-Key': 'k11' });

    await rejection(client.pay.mutate({ amount: -1 }));
    await rejection(client.pay.mutate({ amount: -1 }));

    expect(effects).toBe(1);
  });

  it("the body's own BAD_REQUEST (after its effect) is stored and replayed, never run again", async () => {
    const { runs, client } = await start();
    const first = await rejection(client('body-1').bodyRefuses.mutate({ amount: 5 }));
    const retry = await rejection(client('body-1').bodyRefuses.mutate({ amount: 5 }));

    expect([first.data?.code, retry.data?.code]).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    expect(runs.runs('bodyRefuses')).toBe(1);
  });

  it("a nested call's input validation error that the body lets through is stored: the body ran", async () => {
    const { runs, client } = await start();
    await rejection(client('nested-1').nestedRefuses.mutate({ amount: 5 }));
    await rejection(client('nested-1').nestedRefuses.mutate({ amount: 5 }));

    expect(runs.runs('nestedRefuses')).toBe(1);
  });

  it('an output refused by `.output()` is stored: the procedure ran', async () => {
    const { runs, client } = await start();
    const first = await rejection(client('out-1').misshaped.mutate({ amount: 5 }));
    const retry = await rejection(client('out-1').misshaped.mutate({ amount: 5 }));

    expect([first.data?.code, retry.data?.code]).toEqual(['INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR']);
    expect(runs.runs('misshaped')).toBe(1);
  });
});
