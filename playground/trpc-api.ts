import { initTRPC, TRPCError } from '@trpc/server';
import { fetchRequestHandler, type FetchCreateContextFnOptions } from '@trpc/server/adapters/fetch';
import type { RunContext } from '../src/core/run-context.js';
import { idempotency, idempotencyErrorData } from '../src/trpc/index.js';
import type { ApiVariant, PaymentApi, PaymentApiDependencies } from './api-dependencies.js';
import { parseChargeRequest, StaleFenceError } from './ledger.js';
import { chargeOnce } from './payment-body.js';

/** Where the tRPC API is served. */
export const TRPC_PATH = '/trpc';

type Context = FetchCreateContextFnOptions;

/** Puts the library's error code (and `retryAfter` on a 409) in `error.data.idempotency`, with `idempotencyErrorData`. */
const t = initTRPC.context<Context>().create({
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: { ...shape.data, idempotency: idempotencyErrorData(error) },
  }),
});

function createPaymentsRouter(deps: PaymentApiDependencies, procedure: typeof t.procedure) {
  return t.router({
    payments: t.router({
      list: t.procedure.query(() => deps.ledger.list()),
      create: procedure.input(parseChargeRequest).mutation(async ({ input, ctx }) => {
        const run = (ctx as { idempotency?: RunContext }).idempotency; // set by the idempotency middleware, absent on the unprotected twin
        try {
          return await chargeOnce(deps, input, { channel: 'trpc', headers: ctx.req.headers, run });
        } catch (error) {
          if (error instanceof StaleFenceError) throw new TRPCError({ code: 'CONFLICT', message: error.message });
          throw error;
        }
      }),
    }),
  });
}

/** The tRPC router's type, for the page's client. */
export type PaymentsRouter = ReturnType<typeof createPaymentsRouter>;

/** The tRPC payments API of one instance on the fetch adapter: `payments.create` protected by `idempotency()` (409 or wait), and an unprotected twin. */
export function createTrpcApi(deps: PaymentApiDependencies): PaymentApi {
  const { store, leaseMs: lease, waitMs } = deps;
  const routerWith = (procedure: typeof t.procedure) => createPaymentsRouter(deps, procedure);
  const routers: Record<ApiVariant, PaymentsRouter> = {
    protected: routerWith(t.procedure.use(idempotency<Context>({ store, scope: false, lease }))),
    waiting: routerWith(
      t.procedure.use(idempotency<Context>({ store, scope: false, lease, concurrent: { wait: waitMs } })),
    ),
    unprotected: routerWith(t.procedure),
  };
  return (req, variant) =>
    fetchRequestHandler({ endpoint: TRPC_PATH, req, router: routers[variant], createContext: (options) => options });
}
