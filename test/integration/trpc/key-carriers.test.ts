/**
 * Malformed keys in the carriers other than the header: an input field that holds a number, a
 * `getKey` that returns an empty array. Each is a 400 and nothing runs, never "no key".
 * Includes reproductions from the adversarial review of December 2026.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { idempotency } from '../../../src/trpc/index.js';
import { clientFor, rejection } from '../../support/servers/trpc/client.js';
import { serve, userOf } from '../../support/servers/trpc/servers.js';
import { makeT } from '../../support/servers/trpc/t.js';

describe('a malformed key in a carrier other than the header', () => {
  it('an input field key holding a number is refused with 400, nothing runs', async () => {
    const t = makeT();
    let runs = 0;
    const router = t.router({
      pay: t.procedure
        .use(idempotency({ store: createMemoryStore(), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { amount: number; idempotencyKey: unknown })
        .mutation(() => ++runs),
    });
    const url = await serve(router, (opts) => ({ req: opts.req, res: opts.res, user: userOf(opts) }));
    const client = clientFor<typeof router>(url, { 'x-user': 'a' });
    const error = await rejection(client.pay.mutate({ amount: 1, idempotencyKey: 12345 }));
    expect(error.data?.httpStatus).toBe(400);
    expect(runs).toBe(0);
  });

  it('a getKey returning an empty array (server-side caller) is refused, nothing runs', async () => {
    const t = makeT();
    let runs = 0;
    const router = t.router({
      pay: t.procedure
        .use(
          idempotency({
            store: createMemoryStore(),
            scope: ({ ctx }) => ctx.user,
            getKey: ({ ctx }) =>
              (ctx as { connectionParams: { idempotencyKey: never } }).connectionParams.idempotencyKey,
          }),
        )
        .input((raw: unknown) => raw as { amount: number })
        .mutation(() => ++runs),
    });
    const caller = t.createCallerFactory(router)({ user: 'alice', connectionParams: { idempotencyKey: [] } } as never);
    const outcomes = await Promise.allSettled([caller.pay({ amount: 1 }), caller.pay({ amount: 1 })]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect(runs).toBe(0);
  });
});
