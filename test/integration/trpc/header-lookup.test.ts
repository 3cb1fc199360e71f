/**
 * A context whose `headers` is a plain object with the client's casing (`{ 'Idempotency-Key': … }`)
 * is read case-insensitively. Origin: issue #18, December 2026.
 */
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../../src/trpc/index.js';
import { clientFor, rejection } from '../../support/servers/trpc/client.js';
import { redisStore, serve, userOf } from '../../support/servers/trpc/servers.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { makeT } from '../../support/servers/trpc/t.js';

function app() {
  const t = makeT();
  const runs = createProbe();
  const idempotent = idempotency({ store: redisStore('trpc-header-case'), scope: ({ ctx }) => ctx.user });
  const router = t.router({
    pay: t.procedure
      .use(idempotent)
      .input((raw: unknown) => raw as { amount: number })
      .mutation(({ input }) => ({ run: runs.ran('pay'), amount: input.amount })),
  });
  return { router, runs };
}
type AppRouter = ReturnType<typeof app>['router'];

describe('a plain headers object in the context', () => {
  it('with the client casing (`Idempotency-Key`): the key is read, the retry is replayed', async () => {
    const { router, runs } = app();
    const url = await serve(router, (opts) => ({
      user: userOf(opts),
      headers: { 'Idempotency-Key': opts.req.headers['idempotency-key'] },
    }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': '"k-1"' });

    const first = await client.pay.mutate({ amount: 5 });
    const retry = await client.pay.mutate({ amount: 5 });

    expect([first, retry]).toEqual([
      { run: 1, amount: 5 },
      { run: 1, amount: 5 },
    ]);
    expect(runs.runs('pay')).toBe(1);
  });

  it('with the same header under two casings and two values: a malformed key, nothing runs', async () => {
    const { router, runs } = app();
    const url = await serve(router, (opts) => ({
      user: userOf(opts),
      headers: { 'Idempotency-Key': 'k-a', 'idempotency-key': opts.req.headers['idempotency-key'] },
    }));
    const error = await rejection(
      clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': 'k-b' }).pay.mutate({ amount: 5 }),
    );

    expect(error.data?.code).toBe('BAD_REQUEST');
    expect(error.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_KEY_INVALID' });
    expect(runs.runs('pay')).toBe(0);
  });

  it('with the same value under two casings: one key', async () => {
    const { router, runs } = app();
    const url = await serve(router, (opts) => ({
      user: userOf(opts),
      headers: { 'IDEMPOTENCY-KEY': 'k-c', 'Idempotency-Key': opts.req.headers['idempotency-key'] },
    }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': 'k-c' });

    await client.pay.mutate({ amount: 5 });
    await client.pay.mutate({ amount: 5 });

    expect(runs.runs('pay')).toBe(1);
  });

  it('with a non-string value under the header (a number): a malformed key, nothing runs', async () => {
    const { router, runs } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), headers: { 'Idempotency-Key': 12345 } }));
    const error = await rejection(clientFor<AppRouter>(url, { 'x-user': 'alice' }).pay.mutate({ amount: 5 }));

    expect(error.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_KEY_INVALID' });
    expect(runs.runs('pay')).toBe(0);
  });
});
