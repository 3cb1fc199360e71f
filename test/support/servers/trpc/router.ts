import type { IdempotencyStore } from '../../../../src/core/store.js';
import { idempotency, type TrpcIdempotencyOptions } from '../../../../src/trpc/index.js';
import { createProbe } from './probe.js';
import { makeT } from './t.js';

/** What the test servers' `createContext` returns: the caller and whatever the adapter exposes. */
export interface TestContext {
  user: string | undefined;
  req?: unknown;
  res?: unknown;
  resHeaders?: Headers;
  /** The WebSocket connection params (WebSocket adapter only). */
  connectionParams?: Record<string, string> | null;
}

/** The middleware's options; `scope` defaults to the `user` of the context. */
export type TestRouterOptions = Partial<TrpcIdempotencyOptions<TestContext>> & { store: IdempotencyStore };

async function* countdown() {
  yield* [3, 2, 1];
}

const parsePayment = (raw: unknown) => raw as { amount: number; idempotencyKey?: unknown };

/** A router with the superjson transformer whose mutations are all idempotent; `probe` counts their runs. The error policy's cases are in policy-router.ts. */
export function createTestRouter(options: TestRouterOptions) {
  const probe = createProbe();
  const t = makeT<TestContext>();
  const idempotent = idempotency<TestContext>({ scope: ({ ctx }) => ctx.user, ...options });
  const mutation = t.procedure.use(idempotent);

  const router = t.router({
    pay: mutation.input(parsePayment).mutation(({ input, ctx }) => {
      probe.ran('pay');
      return {
        amount: input.amount,
        chargedAt: new Date(Date.UTC(2024, 0, probe.runs('pay'))),
        ledger: new Map([[input.amount, 'charged']]),
        cents: BigInt(input.amount) * 100n,
        fence: ctx.idempotency.fence,
      };
    }),
    slow: mutation.input(parsePayment).mutation(async ({ input }) => {
      probe.ran('slow');
      await probe.gate();
      return { amount: input.amount, run: probe.runs('slow'), at: new Date(Date.UTC(2024, 1, probe.runs('slow'))) };
    }),
    upload: mutation
      .input((raw: unknown) => raw as FormData)
      .mutation(async ({ input }) => {
        probe.ran('upload');
        const file = input.get('file') as File;
        return { run: probe.runs('upload'), name: file.name, content: await file.text() };
      }),
    countdown: mutation.mutation(() => {
      probe.ran('countdown');
      return countdown();
    }),
    /** Its output holds a promise, which httpBatchStreamLink streams after the rest. */
    order: mutation.mutation(() => {
      probe.ran('order');
      const run = probe.runs('order');
      return {
        orderId: `order-${run}`,
        receipt: new Promise<string>((resolve) => setTimeout(() => resolve(`receipt-${run}`), 20)),
      };
    }),
    nothing: mutation.mutation(() => {
      probe.ran('nothing');
      return undefined;
    }),
    strict: mutation.meta({ idempotency: { required: true } }).mutation(() => {
      probe.ran('strict');
      return 'done';
    }),
    unguarded: mutation.meta({ idempotency: false }).mutation(() => {
      probe.ran('unguarded');
      return probe.runs('unguarded');
    }),
    balance: mutation.query(() => {
      probe.ran('balance');
      return probe.runs('balance');
    }),
  });
  return { router, probe };
}

export type TestRouter = ReturnType<typeof createTestRouter>['router'];
