/**
 * A tRPC context built without request headers (`createContext` returns `{ user }` only): a keyed
 * call must never run as unkeyed, with or without a `getKey` (one that finds no key does not show
 * the client sent none). Origin: issue #18 (fail closed), December 2026.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { idempotency } from '../../../src/trpc/index.js';
import { clientFor, rejection } from '../../support/servers/trpc/client.js';
import { redisStore, serve, userOf } from '../../support/servers/trpc/servers.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { makeT } from '../../support/servers/trpc/t.js';

function app(options: { required?: boolean; getKey?: boolean } = {}) {
  const t = makeT();
  const runs = createProbe();
  const idempotent = idempotency({
    store: redisStore('trpc-no-headers'),
    scope: ({ ctx }) => (ctx as { user?: string }).user,
    required: options.required,
    ...(options.getKey && {
      getKey: ({ rawInput }) => (rawInput as { ref?: string } | undefined)?.ref,
    }),
  });
  const router = t.router({
    pay: t.procedure
      .use(idempotent)
      .input((raw: unknown) => raw as { amount: number; ref?: string; idempotencyKey?: string })
      .mutation(({ input }) => ({ run: runs.ran('pay'), amount: input.amount })),
  });
  return { router, runs };
}
type AppRouter = ReturnType<typeof app>['router'];

describe('a context without request headers', () => {
  it('refuses a call over HTTP that sent an Idempotency-Key header, naming the fix; nothing runs', async () => {
    const { router, runs } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts) }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': '"charge-1"' });

    const first = await rejection(client.pay.mutate({ amount: 5 }));
    const retry = await rejection(client.pay.mutate({ amount: 5 }));

    expect(runs.runs('pay')).toBe(0);
    for (const error of [first, retry]) {
      expect(error.data?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(error.data?.httpStatus).toBe(500);
      expect(error.message).toMatch(/Return `req` \(or `headers`\) from createContext/);
      expect(error.message).toMatch(/getKey/);
    }
  });

  it('with `required: true`, says the context hides the header, not that the key is missing', async () => {
    const { router, runs } = app({ required: true });
    const url = await serve(router, (opts) => ({ user: userOf(opts) }));
    const error = await rejection(
      clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': 'k-2' }).pay.mutate({ amount: 5 }),
    );

    expect(runs.runs('pay')).toBe(0);
    expect(error.data?.idempotency).toBeUndefined();
    expect(error.message).toMatch(/cannot see the Idempotency-Key header/);
  });

  it('runs a call keyed by its input field once, and answers its retry with the stored result', async () => {
    const { router, runs } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts) }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'alice' });

    const first = await client.pay.mutate({ amount: 7, idempotencyKey: 'field-1' });
    const retry = await client.pay.mutate({ amount: 7, idempotencyKey: 'field-1' });

    expect([first, retry]).toEqual([
      { run: 1, amount: 7 },
      { run: 1, amount: 7 },
    ]);
    expect(runs.runs('pay')).toBe(1);
  });

  it('with a `getKey`, takes the key it finds (the documented fix) and runs once', async () => {
    const { router, runs } = app({ getKey: true });
    const url = await serve(router, (opts) => ({ user: userOf(opts) }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'alice' });

    await client.pay.mutate({ amount: 3, ref: 'ref-1' });
    await client.pay.mutate({ amount: 3, ref: 'ref-1' });

    expect(runs.runs('pay')).toBe(1);
  });

  it('runs a server-side call (createCaller, no transport) that carries no key, each time', async () => {
    const { router, runs } = app({ required: false });
    const caller = router.createCaller({ user: 'cron' });

    await caller.pay({ amount: 1 });
    await caller.pay({ amount: 1 });

    expect(runs.runs('pay')).toBe(2);
  });

  it('a context that returns `req` reads the header again: the retry is replayed', async () => {
    const { router, runs } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': 'k-3' });

    await client.pay.mutate({ amount: 5 });
    await client.pay.mutate({ amount: 5 });

    expect(runs.runs('pay')).toBe(1);
  });
});

describe('a context without request headers, everyday set-ups', () => {
  it('context `{ user }` only, no getKey: a keyed mutation is refused, nothing runs', async () => {
    const t = makeT();
    let runs = 0;
    const router = t.router({
      pay: t.procedure
        .use(idempotency({ store: createMemoryStore(), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: number })
        .mutation(() => ++runs),
    });
    const url = await serve(router, (opts) => ({ user: userOf(opts) }));
    const client = clientFor<typeof router>(url, { 'x-user': 'a', 'Idempotency-Key': 'k' });
    const error = await rejection(client.pay.mutate({ amount: 1 }));
    expect(error.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(runs).toBe(0);
  });

  it('a getKey (connection params) that finds no key does not lift the refusal: the header sent over HTTP is never ignored', async () => {
    const t = makeT();
    const idempotent = idempotency<{ user?: string; connectionParams?: Record<string, unknown> | null }>({
      store: createMemoryStore(),
      scope: ({ ctx }) => ctx.user,
      getKey: ({ ctx }) => ctx.connectionParams?.idempotencyKey as string | undefined,
    });
    let runs = 0;
    const router = t.router({
      pay: t.procedure
        .use(idempotent as never)
        .input((raw: unknown) => raw as { amount: number })
        .mutation(() => ++runs),
    });
    const url = await serve(router, ({ req, info }) => ({
      user: req.headers['x-user'] as string | undefined,
      connectionParams: info.connectionParams,
    }));
    const client = clientFor<typeof router>(url, { 'x-user': 'alice', 'Idempotency-Key': '"pay-1"' });

    const first = await rejection(client.pay.mutate({ amount: 1 }));
    const second = await rejection(client.pay.mutate({ amount: 1 }));

    // Refused loudly, nothing ran (never run twice under one key).
    expect(runs).toBe(0);
    for (const error of [first, second]) {
      expect(error.data?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(error.message).toMatch(/cannot see the Idempotency-Key header of "pay"/);
      expect(error.message).toMatch(/Return `req` \(or `headers`\) from createContext/);
    }
  });
});
