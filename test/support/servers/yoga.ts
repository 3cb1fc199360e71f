/**
 * The one GraphQL Yoga harness of the tests. `createTestYoga` builds a Yoga app with
 * `useIdempotency` (the payments schema most tests share through `startTestServer`, or a schema of
 * the test's own through `startYoga`); `serveYoga` puts it on a real node:http server, graphql-ws
 * included when asked. Request/response tests drive the app in-process through `yoga.fetch`
 * (`transport: 'fetch'`); a real socket (`transport: 'http'`) is for what the transport decides:
 * graphql-ws, SSE, multipart, raw Node requests, fault proxies, real HTTP clients. `post`, `as`,
 * `codes` (graphql-requests.ts) and `replayOf` read the answers. The stores are the run's redis-server (vitest global setup)
 * unless a test passes its own. Child processes (yoga-ws-process.ts) build through the same functions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { Context as WsContext } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { createSchema, createYoga, type Plugin, type YogaInitialContext, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import {
  useIdempotency,
  type GraphQLIdempotencyContext,
  type UseIdempotencyOptions,
} from '../../../src/envelop/index.js';
import { redisStore } from '../redis/client.js';
import { closeOnce, onClose } from './after-test.js';
import { type GraphQLBody, type HttpTarget } from './graphql-requests.js';
import { paymentsResolvers, paymentsTypeDefs } from './payments.js';

export { redisStore } from '../redis/client.js';
export { onClose } from './after-test.js';
export { as, asSfString, codes, post, type GraphQLBody } from './graphql-requests.js';

type PaymentsContext = YogaInitialContext & { idempotency?: GraphQLIdempotencyContext };

/** How a test reaches its Yoga app. */
export type YogaTransport = 'fetch' | 'http';

/** Where a test sends its requests: `url` through `fetch` (Yoga's in-process `yoga.fetch`, or the global fetch over the real socket). */
export type YogaTarget = HttpTarget;

/** A test GraphQL server: a Yoga app with useIdempotency, in-process or on a real node:http server. */
export interface TestServer extends YogaTarget {
  /** How often each resolver ran, by field name. */
  runs: Record<string, number>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Plugin options; `scope` defaults to the `x-user` request header. */
  idempotency?: Partial<UseIdempotencyOptions<PaymentsContext>>;
  /** Awaited inside every mutation resolver before it returns. */
  beforeResolve?: () => Promise<void>;
  /** Plugins placed before useIdempotency. */
  plugins?: Plugin[];
  /** Wraps the node:http handler, e.g. to drop a response (`http` only). */
  wrap?: (
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ) => (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * `fetch` drives the app in-process through `yoga.fetch`; `http` serves it on a real socket.
   * Defaults to `http`: this server's URL is handed to real HTTP clients (fetch libraries,
   * OpenTelemetry instrumentations).
   */
  transport?: YogaTransport;
  /** The store is the run's Redis under this label, unless `idempotency.store` is given. Defaults to the memory store. */
  label?: string;
}

/** The payments schema (payments.ts) on a Yoga app, closed after the test. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { runs, resolvers } = paymentsResolvers({ beforeResolve: options.beforeResolve });
  const yoga = createTestYoga<PaymentsContext>({
    typeDefs: paymentsTypeDefs,
    resolvers,
    plugins: options.plugins,
    idempotency: { ...(options.label ? { store: redisStore(options.label) } : {}), ...options.idempotency },
  });
  const server = await reach(yoga, options.transport ?? 'http', { wrap: options.wrap });
  const close = closeOnce(server.close);
  onClose(close);
  return { ...server, close, runs };
}

/** What `createTestYoga` builds: a schema of the test's own, useIdempotency among the plugins. */
export interface TestYogaOptions<C extends object> {
  typeDefs: string;
  resolvers: Record<string, unknown>;
  /** Plugins placed before useIdempotency. */
  plugins?: Plugin[];
  /** Plugins placed after useIdempotency. */
  pluginsAfter?: Plugin[];
  /** Plugin options; `scope` defaults to the `x-user` request header. */
  idempotency?: Partial<UseIdempotencyOptions<C>>;
  /** Further Yoga options (batching, context, multipart, …). */
  yoga?: Record<string, unknown>;
}

/** The one Yoga builder: `createYoga` with `useIdempotency`, logging off. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the app's server context is the caller's
export function createTestYoga<C extends object>(options: TestYogaOptions<C>): YogaServerInstance<any, C> {
  const schema = createSchema<C>({ typeDefs: options.typeDefs, resolvers: options.resolvers as never });
  return createYoga<object, C>({
    schema,
    logging: false,
    ...options.yoga,
    plugins: [
      ...(options.plugins ?? []),
      useIdempotency<C>({
        scope: (ctx) => (ctx as { request?: Request }).request?.headers.get('x-user'),
        ...options.idempotency,
      } as UseIdempotencyOptions<C>),
      ...(options.pluginsAfter ?? []),
    ],
  });
}

/** A Yoga app on a real node:http server. */
export interface ServedYoga {
  port: number;
  url: string;
  /** The graphql-ws server, when asked for. */
  wsServer?: WebSocketServer;
  close(): Promise<void>;
}

export interface ServeYogaOptions {
  /** Wraps the node:http handler, e.g. to drop a response. Defaults to none. */
  wrap?: TestServerOptions['wrap'];
  /** Serves graphql-ws too (`serveOverGraphqlWs`), with what each operation's context adds. Defaults to none. */
  graphqlWs?: (ctx: WsContext<Record<string, unknown> | undefined, Extra>) => Record<string, unknown>;
}

/** Serves `yoga` on a free loopback port (graphql-ws on the same port when asked). */
export async function serveYoga(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Yoga, whatever its contexts
  yoga: YogaServerInstance<any, any>,
  options: ServeYogaOptions = {},
): Promise<ServedYoga> {
  const server: Server = createServer(options.wrap ? options.wrap(yoga) : yoga);
  const wsServer = options.graphqlWs ? serveOverGraphqlWs(yoga, server, options.graphqlWs) : undefined;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}${yoga.graphqlEndpoint}`,
    ...(wsServer ? { wsServer } : {}),
    close: async () => {
      if (wsServer) {
        for (const socket of wsServer.clients) socket.terminate();
        await new Promise((resolve) => wsServer.close(resolve));
      }
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The app in-process (`yoga.fetch`, at an address no socket answers) or on a real socket. */
async function reach(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Yoga, whatever its contexts
  yoga: YogaServerInstance<any, any>,
  transport: YogaTransport,
  options: Pick<ServeYogaOptions, 'wrap'> = {},
): Promise<YogaTarget & { close(): Promise<void> }> {
  if (transport === 'fetch') {
    if (options.wrap) throw new Error('wrap needs a node:http server: use transport "http"');
    return {
      url: `http://yoga.invalid${yoga.graphqlEndpoint}`,
      fetch: ((input: string | URL, init?: RequestInit) => yoga.fetch(String(input), init)) as typeof fetch,
      close: async () => yoga.dispose(),
    };
  }
  const served = await serveYoga(yoga, options);
  return { url: served.url, fetch: globalThis.fetch, close: served.close };
}

/** The body a replay must have: the first body, byte for byte, with `extensions.idempotency.replayed` added. */
export function replayOf(firstText: string): string {
  const first = JSON.parse(firstText) as GraphQLBody;
  return JSON.stringify({ ...first, extensions: { ...first.extensions, idempotency: { replayed: true } } });
}

export type Ctx = YogaInitialContext & { idempotency?: GraphQLIdempotencyContext; user?: string | null };

export interface YogaTestServer extends YogaTarget {
  close(): Promise<void>;
}

/**
 * A Yoga app of the test's own schema, closed after the test; `scope` reads the `x-user` header
 * unless overridden, the store is the run's Redis under `label`. `transport` defaults to `fetch`
 * (in-process): ask for `http` where the socket matters.
 */
export async function startYoga(
  options: Omit<TestYogaOptions<Ctx>, 'yoga'> & {
    label?: string;
    yoga?: Record<string, unknown>;
    transport?: YogaTransport;
  },
): Promise<YogaTestServer> {
  const yoga = createTestYoga<Ctx>({
    ...options,
    idempotency: { store: redisStore(options.label ?? 'yoga'), ...options.idempotency },
  });
  const server = await reach(yoga, options.transport ?? 'fetch');
  onClose(server.close);
  return server;
}

/** Listens on a free loopback port, closed after the test; returns the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onClose(
    () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** `startYoga` on a real socket, returning only its `/graphql` URL (for real HTTP clients). */
export async function startYogaUrl(options: Parameters<typeof startYoga>[0]): Promise<string> {
  return (await startYoga({ ...options, transport: 'http' })).url;
}

/** Collects the process's unhandled rejections until the test ends. */
export function watchUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  onClose(async () => void process.off('unhandledRejection', listener));
  return unhandled;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/*
 * Yoga's documented graphql-ws integration, as the tests wire it: a `graphql-ws` server on the
 * Yoga's HTTP server, every operation going through `yoga.getEnveloped` with a context of its own.
 */
/** What each operation's root value carries: the enveloped pipeline of its own context. */
interface Pipeline {
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
}

/**
 * Serves `yoga` over graphql-ws on `httpServer` (at Yoga's endpoint). `contextOf` gives what each
 * operation's context adds to graphql-ws' own (the user, a key from the connection params, …).
 * Returns the WebSocket server.
 */
export function serveOverGraphqlWs(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Yoga, whatever its contexts
  yoga: YogaServerInstance<any, any>,
  httpServer: Server,
  contextOf: (ctx: WsContext<Record<string, unknown> | undefined, Extra>) => Record<string, unknown>,
): WebSocketServer {
  const wsServer = new WebSocketServer({ server: httpServer, path: yoga.graphqlEndpoint });
  useServer(
    {
      execute: (args) => (args.rootValue as Pipeline).execute(args) as Promise<ExecutionResult>,
      subscribe: (args) => (args.rootValue as Pipeline).subscribe(args) as Promise<ExecutionResult>,
      onSubscribe: async (ctx, _id, params) => {
        const enveloped = yoga.getEnveloped({ ...ctx, params, ...contextOf(ctx) });
        const document = enveloped.parse(params.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies Pipeline,
        };
      },
    },
    wsServer,
  );
  return wsServer;
}
