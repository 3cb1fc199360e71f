/**
 * A timeout middleware and idempotency(): placed before idempotency() (the documented order), a
 * timed-out call keeps its key held until the procedure's own promise settles, so a retry never
 * runs it a second time. Origin: issue #18, December 2026.
 */
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../../src/trpc/index.js';
import { clientFor, rejection } from '../../support/servers/trpc/client.js';
import { redisStore, serve, userOf } from '../../support/servers/trpc/servers.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { makeT } from '../../support/servers/trpc/t.js';

function app() {
  const t = makeT();
  const runs = createProbe();
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started: () => void = () => {};
  const bodyStarted = new Promise<void>((resolve) => (started = resolve));
  const timeout = t.middleware(async ({ next }) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TRPCError({ code: 'TIMEOUT', message: 'took too long' })), 50);
    });
    try {
      return await Promise.race([next(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  });
  const idempotent = idempotency({ store: redisStore('trpc-order'), scope: ({ ctx }) => ctx.user });
  const router = t.router({
    pay: t.procedure
      .use(timeout)
      .use(idempotent)
      .mutation(async () => {
        const run = runs.ran('pay');
        started();
        await gate;
        return { run };
      }),
  });
  return { router, runs, release: () => release(), bodyStarted };
}
type AppRouter = ReturnType<typeof app>['router'];

describe('a timeout middleware placed before idempotency()', () => {
  it('times the call out while the key stays held: a retry gets 409, then the stored result; one run', async () => {
    const { router, runs, release, bodyStarted } = app();
    const url = await serve(router, (opts) => ({ user: userOf(opts), req: opts.req, res: opts.res }));
    const client = clientFor<AppRouter>(url, { 'x-user': 'alice', 'Idempotency-Key': 'slow-1' });

    const timedOut = await rejection(client.pay.mutate());
    await bodyStarted;
    const whileRunning = await rejection(client.pay.mutate());
    release();
    let replay: unknown;
    for (;;) {
      const outcome = await client.pay.mutate().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      if ('value' in outcome) {
        replay = outcome.value;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(timedOut.data?.code).toBe('TIMEOUT');
    expect(whileRunning.data?.code).toBe('CONFLICT');
    expect(replay).toEqual({ run: 1 });
    expect(runs.runs('pay')).toBe(1);
  });
});
