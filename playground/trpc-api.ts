import { initTRPC } from '@trpc/server';
import { fetchRequestHandler, type FetchCreateContextFnOptions } from '@trpc/server/adapters/fetch';
import { idempotency } from '../src/trpc/index.js';
import type { PaymentApi, PaymentApiDependencies } from './api-dependencies.js';
import { parseChargeRequest, type Ledger } from './ledger.js';
import { requestKeyOf } from './request-key.js';

/** Where the tRPC API is served. */
export const TRPC_PATH = '/trpc';

type Context = FetchCreateContextFnOptions;

const t = initTRPC.context<Context>().create();

function createPaymentsRouter(ledger: Ledger, procedure: typeof t.procedure) {
  return t.router({
    payments: t.router({
      list: t.procedure.query(() => ledger.list()),
      create: procedure
        .input(parseChargeRequest)
        .mutation(({ input, ctx }) => ledger.charge(input, { channel: 'trpc', requestKey: requestKeyOf(ctx.req.headers) })),
    }),
  });
}

/** The tRPC router's type, for the page's client. */
export type PaymentsRouter = ReturnType<typeof createPaymentsRouter>;

/** The tRPC payments API on the fetch adapter: `payments.create` protected by `idempotency()`, and an unprotected twin. */
export function createTrpcApi({ ledger, store, onEvent }: PaymentApiDependencies): PaymentApi {
  const idempotent = idempotency<Context>({ store, scope: false, onEvent });
  const handlerFor = (router: PaymentsRouter) => (req: Request) =>
    fetchRequestHandler({ endpoint: TRPC_PATH, req, router, createContext: (options) => options });
  return {
    protected: handlerFor(createPaymentsRouter(ledger, t.procedure.use(idempotent))),
    unprotected: handlerFor(createPaymentsRouter(ledger, t.procedure)),
  };
}
