/**
 * The one Apollo Server harness of the tests: `startApollo` serves a schema of the test's own with
 * idempotencyPlugin, standalone or through Express 5, batching and other plugins as options;
 * `startTestServer` is it with the payments schema (payments.ts) most Apollo tests share. Request
 * helpers (`post`, `as`, `codes` of graphql-requests.ts, `replayOf`) read Apollo Server's answers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApolloServer,
  HeaderMap,
  type ApolloServerOptions,
  type ApolloServerOptionsWithTypeDefs,
  type ApolloServerPlugin,
  type GraphQLResponse,
} from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { startStandaloneServer } from '@apollo/server/standalone';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import {
  idempotencyPlugin,
  type GraphQLIdempotencyContext,
  type IdempotencyPluginOptions,
} from '../../../src/apollo-server/index.js';
import { until } from '../engine.js';
import { redisStore } from '../redis/client.js';
import { closeOnce, onClose } from './after-test.js';
import type { GraphQLBody } from './graphql-requests.js';
import { paymentsResolvers, paymentsTypeDefs } from './payments.js';

export { as, codes, post, type GraphQLBody } from './graphql-requests.js';

/** The test servers' context: the caller from the `x-user` header, and what the plugin adds. */
export interface Context {
  user?: string;
  /** A key handed to `executeOperation` in its context value (read with `getKey`). */
  key?: string;
  idempotency?: GraphQLIdempotencyContext;
}

/** The two ways of serving Apollo Server the tests cover. */
export type Integration = 'standalone' | 'express';
export const integrations: Integration[] = ['standalone', 'express'];

/** An Apollo Server of the test's own schema, with idempotencyPlugin; `C` is the test's context. */
export interface ApolloOptions<C extends Context = Context> {
  typeDefs: string;
  resolvers?: ApolloServerOptionsWithTypeDefs<C>['resolvers'];
  /** A server-wide field resolver (for root fields without a resolver of their own). */
  fieldResolver?: ApolloServerOptionsWithTypeDefs<C>['fieldResolver'];
  /** How the server is served. Defaults to `standalone`. */
  integration?: Integration;
  /** Plugin options; `scope` defaults to the `x-user` request header. */
  idempotency?: Partial<IdempotencyPluginOptions<C>>;
  /** Plugins placed before the idempotency plugin. */
  pluginsBefore?: ApolloServerPlugin<C>[];
  /** Plugins placed after the idempotency plugin. */
  pluginsAfter?: ApolloServerPlugin<C>[];
  /** Apollo Server's `allowBatchedHttpRequests`. Defaults to false. */
  batching?: boolean;
  formatError?: ApolloServerOptions<C>['formatError'];
  rootValue?: ApolloServerOptions<C>['rootValue'];
  /** What each request's context holds beside the caller, read from its headers. Defaults to nothing. */
  context?: (headers: IncomingHttpHeaders) => Omit<C, keyof Context>;
}

/** An Apollo Server with idempotencyPlugin on a real HTTP server. */
export interface ApolloTestServer<C extends Context = Context> {
  url: string;
  apollo: ApolloServer<C>;
  close(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The caller from the `x-user` header. */
function callerOf(headers: IncomingHttpHeaders): Context {
  const user = headers['x-user'];
  return typeof user === 'string' ? { user } : {};
}

/** The one Apollo Server builder of the tests: standalone or Express 5 (with the drain plugin). */
export async function startApollo<C extends Context = Context>(
  options: ApolloOptions<C>,
): Promise<ApolloTestServer<C>> {
  const context = async ({ req }: { req: { headers: IncomingHttpHeaders } }) =>
    ({ ...callerOf(req.headers), ...options.context?.(req.headers) }) as C;
  const plugins = [
    ...(options.pluginsBefore ?? []),
    idempotencyPlugin<C>({ scope: (ctx) => ctx.user, ...options.idempotency }),
    ...(options.pluginsAfter ?? []),
  ];
  const config = {
    typeDefs: options.typeDefs,
    ...(options.resolvers ? { resolvers: options.resolvers } : {}),
    ...(options.fieldResolver ? { fieldResolver: options.fieldResolver } : {}),
    logger: silent,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: options.batching ?? false,
    ...(options.formatError ? { formatError: options.formatError } : {}),
    ...(options.rootValue ? { rootValue: options.rootValue } : {}),
  };

  if ((options.integration ?? 'standalone') === 'standalone') {
    const apollo = new ApolloServer<C>({ ...config, plugins });
    const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' }, context });
    return { url, apollo, close: () => apollo.stop() };
  }

  const app = express();
  const httpServer = createServer(app);
  const apollo = new ApolloServer<C>({
    ...config,
    plugins: [...plugins, ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();
  app.use('/graphql', express.json(), expressMiddleware(apollo, { context }));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    apollo,
    close: async () => {
      await apollo.stop();
      httpServer.closeAllConnections();
    },
  };
}

export interface TestServerOptions extends Omit<
  ApolloOptions,
  'typeDefs' | 'resolvers' | 'fieldResolver' | 'integration'
> {
  /** Awaited inside every mutation resolver before it returns. */
  beforeResolve?: () => Promise<void>;
  /** The store is the run's Redis under this label, unless `idempotency.store` is given. Defaults to the memory store. */
  label?: string;
}

/** The payments server most Apollo tests share: `startApollo` with the payments schema. */
export interface TestServer extends ApolloTestServer {
  /** How often each resolver ran, by field name. */
  runs: Record<string, number>;
}

/** The payments schema (payments.ts) on an Apollo Server, closed after the test. */
export async function startTestServer(integration: Integration, options: TestServerOptions = {}): Promise<TestServer> {
  const { beforeResolve, label, ...apolloOptions } = options;
  // Apollo Server's form of `extensions.http`: its headers are a HeaderMap.
  const { runs, resolvers } = paymentsResolvers({
    beforeResolve,
    httpHeaders: (headers) => new HeaderMap(Object.entries(headers)),
  });
  const server = await startApollo({
    ...apolloOptions,
    typeDefs: paymentsTypeDefs,
    resolvers,
    integration,
    idempotency: { ...(label ? { store: redisStore(label) } : {}), ...options.idempotency },
  });
  const close = closeOnce(server.close);
  onClose(close);
  return { ...server, close, runs };
}

/**
 * The body a replay must have: the first body, byte for byte, with `extensions.idempotency.replayed`
 * added (and Apollo Server's trailing newline).
 */
export function replayOf(firstText: string): string {
  const first = JSON.parse(firstText) as GraphQLBody;
  return `${JSON.stringify({ ...first, extensions: { ...first.extensions, idempotency: { replayed: true } } })}\n`;
}

/**
 * A plugin (place it before idempotencyPlugin) that watches every operation's response as Apollo
 * Server builds it; `answered(code)` resolves once one of them carries an error with that code,
 * e.g. so that a resolver returns only after a sibling in its batch was refused.
 */
export function watchResponses(): { plugin: ApolloServerPlugin<Context>; answered(code: string): Promise<void> } {
  const responses: Partial<GraphQLResponse>[] = [];
  const carries = (response: Partial<GraphQLResponse>, code: string) =>
    response.body?.kind === 'single' &&
    !!response.body.singleResult.errors?.some((error) => error.extensions?.code === code);
  return {
    plugin: {
      async requestDidStart({ response }) {
        responses.push(response);
      },
    },
    answered: (code) => until(() => responses.some((response) => carries(response, code)), 30_000),
  };
}
