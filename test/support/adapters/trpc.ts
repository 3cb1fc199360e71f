/**
 * A tRPC v11 router (superjson) whose mutations sit behind `idempotency()`, served by the tRPC
 * harness's standalone and WebSocket adapters; and the four tRPC rows of the matrix as
 * real `@trpc/client` clients: httpLink (key header from idempotencyLink), httpBatchLink (key in the
 * input), FormData through httpLink (key in a form field) and wsLink (key in the input).
 */
import { randomUUID } from 'node:crypto';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpLink,
  TRPCClientError,
  wsLink,
  type TRPCClient,
} from '@trpc/client';
import superjson from 'superjson';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { idempotencyHeaders, idempotencyLink } from '../../../src/client/link.js';
import type { IdempotencyEventHandler } from '../../../src/core/events.js';
import type { ConcurrentPolicy } from '../../../src/core/options.js';
import type { IdempotencyStore } from '../../../src/core/store.js';
import { idempotency } from '../../../src/trpc/index.js';
import { startStandaloneServer, startWebSocketServer } from '../servers/trpc/servers.js';
import { makeT } from '../servers/trpc/t.js';
import { observeStore, type Ledger } from './ledger.js';
import {
  lost,
  REFUSAL_STATUS,
  REFUSAL_TRPC_CODE,
  REFUSALS,
  type Answer,
  type BatchSender,
  type Call,
  type Transport,
} from './types.js';

interface Context {
  user: string | undefined;
  req?: unknown;
  res?: unknown;
}

export interface TrpcServerOptions {
  ledger: Ledger;
  store: IdempotencyStore;
  lease: number;
  concurrent: ConcurrentPolicy;
  onEvent?: IdempotencyEventHandler;
}

const jsonInput = (raw: unknown) => raw as { amount: number; idempotencyKey?: string };

function createRouter(
  ledger: Ledger,
  store: IdempotencyStore,
  lease: number,
  concurrent: ConcurrentPolicy,
  onEvent?: IdempotencyEventHandler,
) {
  const t = makeT<Context>();
  const idempotent = t.procedure.use(
    idempotency<Context>({ store, lease, concurrent, scope: ({ ctx }) => ctx.user, onEvent }),
  );
  const body =
    (operation: string, flaky: boolean) =>
    (ctx: Context & { idempotency: { key: string | undefined; fence: number | undefined } }, amount: number) =>
      ledger.run({ operation, user: ctx.user, key: ctx.idempotency.key, amount, fence: ctx.idempotency.fence, flaky });
  return t.router({
    pay: idempotent.input(jsonInput).mutation(({ ctx, input }) => body('pay', false)(ctx, input.amount)),
    flaky: idempotent.input(jsonInput).mutation(({ ctx, input }) => body('flaky', true)(ctx, input.amount)),
    payForm: idempotent
      .input(z.instanceof(FormData))
      .mutation(({ ctx, input }) => body('payForm', false)(ctx, Number(input.get('amount')))),
    flakyForm: idempotent
      .input(z.instanceof(FormData))
      .mutation(({ ctx, input }) => body('flakyForm', true)(ctx, Number(input.get('amount')))),
  });
}

export type TrpcRouter = ReturnType<typeof createRouter>;

export interface TrpcServer {
  httpUrl: string;
  wsUrl: string;
  answered(recordId: string): number;
  close(): Promise<void>;
}

export async function startTrpcServer({
  ledger,
  store,
  lease,
  concurrent,
  onEvent,
}: TrpcServerOptions): Promise<TrpcServer> {
  const observed = observeStore(store);
  const router = createRouter(ledger, observed.store, lease, concurrent, onEvent);
  // The tRPC harness's standalone adapter (context `{ req, res, user }`) and WebSocket adapter (`user` from the connection params).
  const [http, ws] = await Promise.all([startStandaloneServer(router), startWebSocketServer(router)]);
  return {
    httpUrl: http.url,
    wsUrl: ws.url,
    answered: observed.answered,
    close: async () => {
      await Promise.all([http.close(), ws.close()]);
    },
  };
}

interface ErrorData {
  code?: string;
  httpStatus?: number;
  idempotency?: { code?: string };
}

/** Reads a rejected call the way a caller would; `response` where the call had its own HTTP response. */
function answerOfError(error: unknown, response?: Response): Answer {
  if (!(error instanceof TRPCClientError) || !error.data)
    return lost(error instanceof TRPCClientError && error.cause ? error.cause : error);
  const data = error.data as ErrorData;
  const problems: string[] = [];
  const refusal = REFUSALS[data.idempotency?.code ?? ''];
  if (!refusal) return { kind: 'failed', label: data.code ?? error.message, problems };
  if (data.code !== REFUSAL_TRPC_CODE[refusal])
    problems.push(`${data.idempotency?.code} answered as ${data.code}, not ${REFUSAL_TRPC_CODE[refusal]}`);
  if (response) {
    if (response.status !== REFUSAL_STATUS[refusal])
      problems.push(`${data.code} answered with HTTP ${response.status}`);
    if (refusal === 'conflict' && response.headers.get('retry-after') === null)
      problems.push('409 without Retry-After');
  }
  return { kind: 'refused', refusal, label: data.code ?? '?', problems };
}

/** A successful call; `response` where the call had its own HTTP response (which may carry `Idempotent-Replayed`). */
function answerOfValue(value: unknown, response: Response | undefined): Answer {
  const replayed = response ? response.headers.get('idempotent-replayed') === 'true' : undefined;
  return { kind: 'ok', value: value as Record<string, unknown>, replayed, problems: [] };
}

/** A fetch that remembers each response by the `x-call` request header, so one call's own response headers can be read. */
function recordingFetch() {
  const responses = new Map<string, Response>();
  let requests = 0;
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    requests++;
    const response = await fetch(input, init);
    const call = new Headers(init?.headers).get('x-call');
    if (call) responses.set(call, response);
    return response;
  };
  return { fetch: fetchFn, responseOf: (call: string) => responses.get(call), requests: () => requests };
}

/** The caller's identity header; none for the anonymous caller (`''`). */
const userHeader = (user: string): Record<string, string> => (user === '' ? {} : { 'x-user': user });

function perUser<T>(create: (user: string) => T): (user: string) => T {
  const made = new Map<string, T>();
  return (user) => {
    if (!made.has(user)) made.set(user, create(user));
    return made.get(user)!;
  };
}

/** A tRPC transport: results keep their types (superjson); `marksReplay` where each call has a response of its own. */
const trpcTransport = (
  name: string,
  server: Pick<TrpcServer, 'answered'>,
  marksReplay: boolean,
  send: Transport['send'],
  operation: Transport['operation'] = (op) => op,
): Transport => ({ name, marksReplay, typed: true, operation, answered: server.answered, send });

/** Sends a call through `clientOf(user)`, its key in the `idempotencyKey` input field (no header: no replay mark). */
const sendInputKeyed =
  (clientOf: (user: string) => TRPCClient<TrpcRouter>) =>
  async ({ op, user, key, amount, signal }: Call): Promise<Answer> => {
    const client = clientOf(user);
    const procedure = op === 'pay' ? client.pay : client.flaky;
    try {
      return answerOfValue(await procedure.mutate({ amount, idempotencyKey: key }, { signal }), undefined);
    } catch (error) {
      return answerOfError(error);
    }
  };

/** `@trpc/client` httpLink, one request per call, the key minted by idempotencyLink's context and sent with idempotencyHeaders. */
export function trpcHttp(name: string, server: TrpcServer): Transport {
  const recording = recordingFetch();
  const clientOf = perUser((user) =>
    createTRPCClient<TrpcRouter>({
      links: [
        idempotencyLink(),
        httpLink({
          url: server.httpUrl,
          transformer: superjson,
          fetch: recording.fetch,
          headers: ({ op }) => ({
            ...userHeader(user),
            'x-call': String(op.context.call),
            ...idempotencyHeaders({ op }),
          }),
        }),
      ],
    }),
  );
  return trpcTransport(name, server, true, async ({ op, user, key, amount, signal }: Call) => {
    const client = clientOf(user);
    const procedure = op === 'pay' ? client.pay : client.flaky;
    const call = randomUUID();
    try {
      const value = await procedure.mutate({ amount }, { context: { idempotencyKey: key, call }, signal });
      return answerOfValue(value, recording.responseOf(call));
    } catch (error) {
      return answerOfError(error, recording.responseOf(call));
    }
  });
}

/**
 * `@trpc/client` httpBatchLink: calls made in the same tick share one HTTP request (and its headers),
 * so the key travels in the `idempotencyKey` input field. A batched response cannot mark one call
 * as replayed. `sendBatch` makes its calls in one tick and reports how many HTTP requests they took.
 */
export function trpcBatch(name: string, server: TrpcServer): Transport & BatchSender {
  const recording = recordingFetch();
  const clientOf = perUser((user) =>
    createTRPCClient<TrpcRouter>({
      links: [
        httpBatchLink({
          url: server.httpUrl,
          transformer: superjson,
          fetch: recording.fetch,
          headers: userHeader(user),
        }),
      ],
    }),
  );
  const send = sendInputKeyed(clientOf);
  return {
    ...trpcTransport(name, server, false, send),
    async sendBatch(calls) {
      const before = recording.requests();
      const answers = await Promise.all(calls.map(send));
      return { answers, requests: recording.requests() - before };
    },
  };
}

/** The form a FormData call sends: the amount, the key in the `idempotencyKey` field, and a file. */
function paymentForm(amount: number, key: string, receipt = `receipt for ${amount}`): FormData {
  const form = new FormData();
  form.set('amount', String(amount));
  form.set('idempotencyKey', key);
  form.set('receipt', new Blob([receipt], { type: 'text/plain' }), 'receipt.txt');
  return form;
}

/** `@trpc/client` httpLink sending `FormData` inputs (multipart/form-data), the key in a form field. */
export function trpcFormData(name: string, server: TrpcServer): Transport {
  const recording = recordingFetch();
  const clientOf = perUser((user) =>
    createTRPCClient<TrpcRouter>({
      links: [
        httpLink({
          url: server.httpUrl,
          transformer: superjson,
          fetch: recording.fetch,
          headers: ({ op }) => ({ ...userHeader(user), 'x-call': String(op.context.call) }),
        }),
      ],
    }),
  );
  return trpcTransport(
    name,
    server,
    true,
    async ({ op, user, key, amount, receipt, signal }: Call) => {
      const client = clientOf(user);
      const procedure = op === 'pay' ? client.payForm : client.flakyForm;
      const call = randomUUID();
      try {
        return answerOfValue(
          await procedure.mutate(paymentForm(amount, key, receipt), { context: { call }, signal }),
          recording.responseOf(call),
        );
      } catch (error) {
        return answerOfError(error, recording.responseOf(call));
      }
    },
    (op) => (op === 'pay' ? 'payForm' : 'flakyForm'),
  );
}

/** `@trpc/client` wsLink over one WebSocket per user (the user in the connection params), the key in the input field. */
export function trpcWs(name: string, server: TrpcServer): Transport & { close(): Promise<void> } {
  const sockets: { close(): Promise<void> }[] = [];
  const clientOf = perUser((user): TRPCClient<TrpcRouter> => {
    const wsClient = createWSClient({
      url: server.wsUrl,
      connectionParams: user === '' ? {} : { user },
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    sockets.push(wsClient);
    return createTRPCClient<TrpcRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
  });
  return {
    ...trpcTransport(name, server, false, sendInputKeyed(clientOf)),
    close: async () => {
      await Promise.all(sockets.splice(0).map((socket) => socket.close()));
    },
  };
}
