import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tracer } from '@opentelemetry/api';
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import type { IdempotencyOptions } from '../../../../src/core/options.js';
import { idempotency } from '../../../../src/trpc/index.js';
import { post, startTestServer } from '../../../support/servers/yoga.js';

/** One mutation call over HTTP. */
export interface Call {
  key: string;
  user: string;
  amount: number;
  /** `pay` stores its result; `failing` throws an unexpected error, which frees the key. Defaults to `pay`. */
  mutation?: 'pay' | 'failing';
}

/** An app on a real HTTP server, with idempotent mutations. */
export interface App {
  /** Sends one mutation; `fence` is the fencing token the body saw (absent on errors). */
  call(call: Call): Promise<{ status: number; fence?: number }>;
  /** How often the `pay` body ran. */
  runs(): number;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The idempotency options (store, instrument, lease, …). */
  idempotency: IdempotencyOptions;
  /** Awaited inside every mutation body before it returns or throws. */
  hold: () => Promise<void>;
  /** Opens the transport's own span around each request, as a server's instrumentation would. */
  tracer: Tracer;
}

/** A server library the telemetry is checked through. */
export interface Transport {
  name: string;
  /** The operation identity of `pay` and of `failing`. */
  operations: { pay: string; failing: string };
  /** Name of the transport's own span the idempotency span must nest under. */
  parentSpan: string;
  start(options: StartOptions): Promise<App>;
}

/** GraphQL Yoga with useIdempotency on node:http; the HTTP request runs in an active `POST /graphql` span. */
export const yoga: Transport = {
  name: 'GraphQL Yoga',
  operations: { pay: 'createPayment', failing: 'failing' },
  parentSpan: 'POST /graphql',
  async start({ idempotency: options, hold, tracer }) {
    const server = await startTestServer({
      idempotency: options,
      beforeResolve: hold,
      wrap: (handler) => (req, res) =>
        tracer.startActiveSpan('POST /graphql', (span) => {
          res.on('close', () => span.end());
          handler(req, res);
        }),
    });
    return {
      async call({ key, user, amount, mutation = 'pay' }) {
        const field = mutation === 'pay' ? 'createPayment' : 'failing';
        const response = await post(
          server.url,
          { query: `mutation Pay($amount: Int!) { ${field}(amount: $amount) { id fence } }`, variables: { amount } },
          { 'idempotency-key': `"${key}"`, 'x-user': user },
        );
        const fence = (response.json.data?.[field] as { fence?: number } | null | undefined)?.fence;
        return { status: response.status, ...(typeof fence === 'number' ? { fence } : {}) };
      },
      runs: () => server.runs.createPayment ?? 0,
      close: () => server.close(),
    };
  },
};

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
    const server = createHTTPServer({
      router,
      createContext: ({ req }) => ({
        req,
        user: typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : undefined,
      }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
    };
  },
};
