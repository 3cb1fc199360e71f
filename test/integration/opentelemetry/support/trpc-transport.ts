/** The telemetry scenarios' tRPC: a router of its own (plain JSON) on the tRPC harness's standalone server. */
import type { IncomingMessage } from 'node:http';
import { initTRPC } from '@trpc/server';
import { idempotency } from '../../../../src/trpc/index.js';
import { startStandaloneServer } from '../../../support/servers/trpc/servers.js';
import type { Transport } from './transport.js';

interface TrpcContext {
  req: IncomingMessage;
  user: string | undefined;
}

/**
 * tRPC's standalone HTTP server; a tracing middleware before idempotency() opens an active
 * `trpc <path>` span per procedure call, as tRPC instrumentations do.
 */
export const trpc: Transport = {
  name: 'tRPC',
  operations: { pay: 'pay', failing: 'failing' },
  parentSpan: 'trpc pay',
  async start({ idempotency: options, hold, tracer }) {
    let runs = 0;
    const t = initTRPC.context<TrpcContext>().create();
    const traced = t.middleware(({ path, next }) =>
      tracer.startActiveSpan(`trpc ${path}`, async (span) => {
        try {
          return await next();
        } finally {
          span.end();
        }
      }),
    );
    const mutation = t.procedure
      .use(traced)
      .use(idempotency<TrpcContext>({ scope: ({ ctx }) => ctx.user, ...options }));
    const parse = (raw: unknown) => raw as { amount: number };
    const router = t.router({
      pay: mutation.input(parse).mutation(async ({ input, ctx }) => {
        runs++;
        await hold();
        return { amount: input.amount, fence: ctx.idempotency.fence };
      }),
      failing: mutation.input(parse).mutation(async () => {
        await hold();
        throw new Error('database connection lost');
      }),
    });
    const { url, close } = await startStandaloneServer(router);
    return {
      async call({ key, user, amount, mutation = 'pay' }) {
        const response = await fetch(`${url}/${mutation}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"`, 'x-user': user },
          body: JSON.stringify({ amount }),
        });
        const body = (await response.json()) as { result?: { data?: { fence?: number } } };
        const fence = body.result?.data?.fence;
        return { status: response.status, ...(typeof fence === 'number' ? { fence } : {}) };
      },
      runs: () => runs,
      close,
    };
  },
};
