/**
 * GraphQL Yoga with useIdempotency, built and served by the Yoga harness (servers/yoga.ts) on a real
 * node:http server (batching on, @defer/@stream plugin on) and Yoga's documented graphql-ws integration on the same server; and the GraphQL rows of the
 * matrix as real clients: fetch (single, batched, SSE, @defer, `@idempotent(key:)`) and a graphql-ws
 * client. The schema, its bodies and the HTTP client are shared with the Apollo Server and plain
 * envelop() rows (apollo.ts, envelop.ts).
 */
import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import type { ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import type { YogaInitialContext } from 'graphql-yoga';
import { WebSocket } from 'ws';
import type { IdempotencyEventHandler } from '../../../src/core/events.js';
import type { ConcurrentPolicy } from '../../../src/core/options.js';
import type { IdempotencyStore } from '../../../src/core/store.js';
import { idempotentDirectiveTypeDefs, type GraphQLIdempotencyContext } from '../../../src/envelop/index.js';
import { observeStore, type Ledger } from './ledger.js';
import {
  lost,
  REFUSAL_STATUS,
  REFUSALS,
  type Answer,
  type BatchSender,
  type Call,
  type Op,
  type Transport,
} from './types.js';
import { createTestYoga, serveYoga } from '../servers/yoga.js';

type Context = YogaInitialContext & { user?: string; idempotency?: GraphQLIdempotencyContext };

/** The matrix's GraphQL schema (every GraphQL row): it declares `@idempotent(key:)`, so any operation may carry its key there. */
export const typeDefs = /* GraphQL */ `
  ${idempotentDirectiveTypeDefs}
  type Query {
    ping: String!
  }
  type Payment {
    id: ID!
    user: String!
    key: String
    amount: Int!
    run: Int!
    fence: Int
    at: String!
  }
  type Mutation {
    pay(amount: Int!, idempotencyKey: String): Payment!
    flaky(amount: Int!, idempotencyKey: String): Payment!
  }
`;

/** The caller: a graphql-ws connection param, else the `x-user` request header. */
function userOf(context: Context): string | undefined {
  return context.user ?? (context.request as Request | undefined)?.headers.get('x-user') ?? undefined;
}

export interface GraphQLServerOptions {
  ledger: Ledger;
  store: IdempotencyStore;
  lease: number;
  concurrent: ConcurrentPolicy;
  onEvent?: IdempotencyEventHandler;
}

export interface GraphQLServer {
  httpUrl: string;
  wsUrl: string;
  answered(recordId: string): number;
  close(): Promise<void>;
}

/**
 * The resolvers of {@link typeDefs}: `pay` and `flaky` run the ledger's body with the caller
 * `userOf(context)` finds and the run context the adapter put on `context.idempotency`.
 */
export function paymentResolvers<C extends { idempotency?: GraphQLIdempotencyContext }>(
  ledger: Ledger,
  userOf: (context: C) => string | undefined,
) {
  const body = (op: Op) => async (_: unknown, args: { amount: number }, context: C) => {
    const payment = await ledger.run({
      operation: op,
      user: userOf(context),
      key: context.idempotency?.key,
      amount: args.amount,
      fence: context.idempotency?.fence,
      flaky: op === 'flaky',
    });
    return { ...payment, at: payment.at.toISOString() };
  };
  return { Query: { ping: () => 'pong' }, Mutation: { pay: body('pay'), flaky: body('flaky') } };
}

export async function startGraphQLServer({
  ledger,
  store,
  lease,
  concurrent,
  onEvent,
}: GraphQLServerOptions): Promise<GraphQLServer> {
  const observed = observeStore(store);
  const yoga = createTestYoga<Context>({
    typeDefs,
    resolvers: paymentResolvers<Context>(ledger, userOf),
    yoga: { landingPage: false, batching: true },
    plugins: [useDeferStream()],
    idempotency: { store: observed.store, lease, concurrent, scope: userOf, onEvent },
  });
  // Yoga's documented graphql-ws integration: every operation goes through yoga.getEnveloped.
  const served = await serveYoga(yoga, {
    graphqlWs: (ctx) => ({
      req: ctx.extra.request,
      socket: ctx.extra.socket,
      user: (ctx.connectionParams as { user?: string } | undefined)?.user,
    }),
  });
  return {
    httpUrl: served.url,
    wsUrl: served.url.replace('http://', 'ws://'),
    answered: observed.answered,
    close: served.close,
  };
}

const FIELDS = 'id user key amount run fence at';
/** The key in the `Idempotency-Key` header. */
const headerKeyed = (op: Op) => `mutation Send($amount: Int!) { ${op}(amount: $amount) { ${FIELDS} } }`;
/** The key in the `idempotencyKey` argument: the carrier where no per-operation header exists. */
export const argumentKeyed = (op: Op) =>
  `mutation Send($amount: Int!, $key: String) { ${op}(amount: $amount, idempotencyKey: $key) { ${FIELDS} } }`;
/** The key in Shopify's `@idempotent(key:)` directive on the root field. */
const directiveKeyed = (op: Op) =>
  `mutation Send($amount: Int!, $key: String!) { ${op}(amount: $amount) @idempotent(key: $key) { ${FIELDS} } }`;
/** Header-keyed, with part of the selection deferred. */
const deferred = (op: Op) =>
  `mutation Send($amount: Int!) { ${op}(amount: $amount) { id user key run fence at ... @defer { amount } } }`;

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

interface HttpSide {
  status: number;
  headers: Headers;
}

/** Reads one GraphQL result the way a caller would; `http` where the operation had its own HTTP response. */
export function answerOf(op: Op, body: GraphQLBody | undefined, http?: HttpSide): Answer {
  const problems: string[] = [];
  const error = body?.errors?.[0];
  if (!body) return { kind: 'failed', label: 'no result', problems };
  if (error) {
    const code = String(error.extensions?.code ?? '');
    const refusal = REFUSALS[code];
    if (refusal) {
      if (body.data != null) problems.push(`${code} came with data`);
      if (http) {
        if (http.status !== REFUSAL_STATUS[refusal])
          problems.push(`${code} answered with HTTP ${http.status}, not ${REFUSAL_STATUS[refusal]}`);
        if (refusal === 'conflict' && http.headers.get('retry-after') === null)
          problems.push('409 without Retry-After');
      }
      return { kind: 'refused', refusal, label: http ? String(http.status) : code, problems };
    }
    return { kind: 'failed', label: http ? `${http.status} ${error.message}` : error.message, problems };
  }
  const value = body.data?.[op];
  if (typeof value !== 'object' || value === null) return { kind: 'failed', label: `no ${op} in data`, problems };
  const idempotency = body.extensions?.idempotency as { replayed?: unknown } | undefined;
  const replayed = idempotency?.replayed === true;
  if (http) {
    const header = http.headers.get('idempotent-replayed') === 'true';
    if (header !== replayed)
      problems.push(`Idempotent-Replayed header ${header} but extensions.idempotency.replayed ${replayed}`);
  }
  return { kind: 'ok', value: value as Record<string, unknown>, replayed, problems };
}

/**
 * Reads a result that came without any HTTP request (graphql-ws, a plain executor): as `answerOf`,
 * and there being no status to set, no `extensions.http` may reach the caller.
 */
export function answerWithoutHttp(op: Op, body: GraphQLBody | undefined): Answer {
  const answer = answerOf(op, body);
  if (
    [body?.extensions, ...(body?.errors ?? []).map((error) => error.extensions)].some(
      (extensions) => extensions?.http !== undefined,
    )
  ) {
    answer.problems.push('extensions.http in an answer without an HTTP request');
  }
  return answer;
}

async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ response: Response; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });
  return { response, text: await response.text() };
}

const keyHeader = (key: string) => ({ 'idempotency-key': `"${key}"` });
/** The caller's identity header; none for the anonymous caller (`''`). */
const userHeader = (user: string): Record<string, string> => (user === '' ? {} : { 'x-user': user });

/** A GraphQL server over HTTP (Yoga or Apollo Server) as the single-request clients need it. */
export type HttpEndpoint = Pick<GraphQLServer, 'httpUrl' | 'answered'>;

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** A GraphQL transport: replays marked, results as JSON, the root field as the operation. */
const graphqlTransport = (
  name: string,
  server: Pick<GraphQLServer, 'answered'>,
  send: Transport['send'],
): Transport => ({
  name,
  marksReplay: true,
  typed: false,
  operation: (op) => op,
  answered: server.answered,
  send,
});

/**
 * One POST of `call` to the server: `query` of its root field, `accept` as given, the key in the
 * `Idempotency-Key` header (or, `keyInVariables`, only in the variables). `read` reads the answer
 * (defaults to one JSON result); a request that failed is lost.
 */
async function postCall(
  server: HttpEndpoint,
  { op, user, key, amount, signal }: Call,
  { query, accept, keyInVariables = false }: { query: (op: Op) => string; accept: string; keyInVariables?: boolean },
  read?: (response: Response, text: string) => Answer,
): Promise<Answer> {
  try {
    const { response, text } = await postJson(
      server.httpUrl,
      { query: query(op), variables: keyInVariables ? { amount, key } : { amount } },
      { accept, ...userHeader(user), ...(keyInVariables ? {} : keyHeader(key)) },
      signal,
    );
    return read ? read(response, text) : answerOf(op, JSON.parse(text) as GraphQLBody, response);
  } catch (error) {
    return lost(error);
  }
}

/**
 * A GraphQL server over HTTP, one operation per request (`application/graphql-response+json`), the
 * key in the `Idempotency-Key` header or in the `@idempotent(key:)` directive.
 */
export function graphqlHttp(name: string, server: HttpEndpoint, carrier: 'header' | 'directive'): Transport {
  const request =
    carrier === 'header'
      ? { query: headerKeyed, accept: GRAPHQL_RESPONSE }
      : { query: directiveKeyed, accept: GRAPHQL_RESPONSE, keyInVariables: true };
  return graphqlTransport(name, server, (call) => postCall(server, call, request));
}

/** GraphQL Yoga over HTTP, one operation per request, the key in the `Idempotency-Key` header. */
export const yogaHttp = (name: string, server: HttpEndpoint): Transport => graphqlHttp(name, server, 'header');

/** GraphQL Yoga over HTTP, one operation per request, the key in `@idempotent(key:)` (no header). */
export const yogaDirective = (name: string, server: HttpEndpoint): Transport => graphqlHttp(name, server, 'directive');

/**
 * GraphQL Yoga over HTTP with `batching: true`: each call is an array body (the keyed mutation, its
 * key in the argument since a batch shares one header, plus a `{ ping }` query); `sendBatch` sends
 * several keyed mutations in one array.
 */
export function yogaBatch(name: string, server: GraphQLServer): Transport & BatchSender {
  async function sendBatch(calls: Call[], withPing: boolean): Promise<Answer[]> {
    const users = new Set(calls.map((call) => call.user));
    if (users.size !== 1) throw new Error('a batch has one caller');
    const operations = calls.map(({ op, key, amount }) => ({ query: argumentKeyed(op), variables: { amount, key } }));
    try {
      const { response, text } = await postJson(
        server.httpUrl,
        withPing ? [...operations, { query: '{ ping }' }] : operations,
        { accept: GRAPHQL_RESPONSE, ...userHeader(calls[0]!.user) },
        calls[0]!.signal,
      );
      const bodies = JSON.parse(text) as GraphQLBody[];
      if (!Array.isArray(bodies))
        return calls.map(() => ({ kind: 'failed', label: `HTTP ${response.status}: not an array`, problems: [] }));
      const answers = calls.map((call, index) => answerOf(call.op, bodies[index]));
      if (withPing && JSON.stringify(bodies[calls.length]) !== JSON.stringify({ data: { ping: 'pong' } })) {
        answers[0]!.problems.push(`the batch's query answered ${JSON.stringify(bodies[calls.length])}`);
      }
      return answers;
    } catch (error) {
      return calls.map(() => lost(error));
    }
  }
  return {
    ...graphqlTransport(name, server, async (call) => (await sendBatch([call], true))[0]!),
    sendBatch: async (calls) => ({ answers: await sendBatch(calls, false), requests: 1 }),
  };
}

/** GraphQL Yoga over HTTP asking for Server-Sent Events: Yoga answers a single result as one `next` event. */
export function yogaSse(name: string, server: GraphQLServer): Transport {
  return graphqlTransport(name, server, (call) =>
    postCall(server, call, { query: headerKeyed, accept: 'text/event-stream' }, (response, text) => {
      const events = parseEvents(text);
      const answer = answerOf(call.op, events.next[0] as GraphQLBody | undefined, response);
      if (!response.headers.get('content-type')?.startsWith('text/event-stream'))
        answer.problems.push(`content-type ${response.headers.get('content-type')}`);
      if (events.next.length !== 1 || !events.complete)
        answer.problems.push(`${events.next.length} next events, complete: ${events.complete}`);
      return answer;
    }),
  );
}

function parseEvents(text: string): { next: unknown[]; complete: boolean } {
  const next: unknown[] = [];
  let complete = false;
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n');
    const event = lines
      .find((line) => line.startsWith('event:'))
      ?.slice(6)
      .trim();
    const data = lines
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (event === 'next') next.push(JSON.parse(data));
    if (event === 'complete') complete = true;
  }
  return { next, complete };
}

/** A keyed mutation with `@defer`, as a client that accepts incremental delivery sends it (header key). */
export function yogaDefer(name: string, server: GraphQLServer): Transport {
  const request = { query: deferred, accept: 'multipart/mixed;deferSpec=20220824, application/json;q=0.9' };
  return graphqlTransport(name, server, (call) =>
    postCall(server, call, request, (response, text) => {
      if (response.headers.get('content-type')?.startsWith('multipart/mixed')) {
        return {
          kind: 'failed',
          label: `${response.status} streamed (multipart/mixed)`,
          problems: ['a keyed @defer mutation was streamed'],
        };
      }
      return answerOf(call.op, JSON.parse(text) as GraphQLBody, response);
    }),
  );
}

/** GraphQL Yoga over graphql-ws (a real client per user, the user in the connection params, the key in the argument). */
export function yogaWs(name: string, server: GraphQLServer): Transport & { close(): Promise<void> } {
  const clients = new Map<string, Client>();
  const clientOf = (user: string): Client => {
    let client = clients.get(user);
    if (!client) {
      client = createClient({
        url: server.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: user === '' ? {} : { user },
        retryAttempts: 0,
        lazy: true,
      });
      clients.set(user, client);
    }
    return client;
  };
  return {
    ...graphqlTransport(name, server, ({ op, user, key, amount, signal }: Call) => {
      return new Promise<Answer>((resolve) => {
        let result: ExecutionResult | undefined;
        const unsubscribe = clientOf(user).subscribe(
          { query: argumentKeyed(op), variables: { amount, key } },
          {
            next: (value) => (result = value as ExecutionResult),
            error: (error) =>
              resolve(
                Array.isArray(error) ? answerWithoutHttp(op, { errors: error as GraphQLBody['errors'] }) : lost(error),
              ),
            complete: () => resolve(answerWithoutHttp(op, result as GraphQLBody | undefined)),
          },
        );
        signal?.addEventListener(
          'abort',
          () => {
            unsubscribe();
            resolve({ kind: 'lost', label: 'dropped', problems: [] });
          },
          { once: true },
        );
      });
    }),
    close: async () => {
      await Promise.all([...clients.values()].map((client) => client.dispose()));
      clients.clear();
    },
  };
}
