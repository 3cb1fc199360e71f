/**
 * The one Apollo Server harness of the tests: `startApollo` serves a schema of the test's own with
 * idempotencyPlugin, standalone or through Express 5, batching and other plugins as options;
 * `startTestServer` is it with the payments schema most Apollo tests share. Request helpers
 * (`post`, `as`, `codes`, `replayOf`) read Apollo Server's answers.
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
import { GraphQLError } from 'graphql';
import {
  idempotencyPlugin,
  type GraphQLIdempotencyContext,
  type IdempotencyPluginOptions,
} from '../../../src/apollo-server/index.js';
import { idempotentDirectiveTypeDefs } from '../../../src/envelop/index.js';
import { until } from '../engine.js';

/** The test servers' context: the caller from the `x-user` header, and what the plugin adds. */
export interface Context {
  user?: string;
  /** A key handed to `executeOperation` in its context value (read with `getKey`). */
  key?: string;
  idempotency?: GraphQLIdempotencyContext;
}

const typeDefs = /* GraphQL */ `
  ${idempotentDirectiveTypeDefs}
  type Query {
    ping: String!
  }
  type Receipt {
    number: String!
  }
  type Payment {
    id: ID!
    amount: Int!
    key: String
    fence: Int
    "Throws: a child field that fails after the root resolver charged."
    receipt: Receipt!
  }
  type Mutation {
    createPayment(amount: Int!, idempotencyKey: String): Payment!
    "Throws a coded error with HTTP status 403 and an x-limit header, after charging."
    forbidden(amount: Int!): Payment
  }
`;

/** The two ways of serving Apollo Server the tests cover. */
export type Integration = 'standalone' | 'express';
export const integrations: Integration[] = ['standalone', 'express'];

/** An Apollo Server of the test's own schema, with idempotencyPlugin. */
export interface ApolloOptions {
  typeDefs: string;
  resolvers?: ApolloServerOptionsWithTypeDefs<Context>['resolvers'];
  /** A server-wide field resolver (for root fields without a resolver of their own). */
  fieldResolver?: ApolloServerOptionsWithTypeDefs<Context>['fieldResolver'];
  /** How the server is served. Defaults to `standalone`. */
  integration?: Integration;
  /** Plugin options; `scope` defaults to the `x-user` request header. */
  idempotency?: Partial<IdempotencyPluginOptions<Context>>;
  /** Plugins placed before the idempotency plugin. */
  pluginsBefore?: ApolloServerPlugin<Context>[];
  /** Plugins placed after the idempotency plugin. */
  pluginsAfter?: ApolloServerPlugin<Context>[];
  /** Apollo Server's `allowBatchedHttpRequests`. Defaults to false. */
  batching?: boolean;
  formatError?: ApolloServerOptions<Context>['formatError'];
  rootValue?: ApolloServerOptions<Context>['rootValue'];
}

/** An Apollo Server with idempotencyPlugin on a real HTTP server. */
export interface ApolloTestServer {
  url: string;
  apollo: ApolloServer<Context>;
  close(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The caller from the `x-user` header. */
const context = async ({ req }: { req: { headers: IncomingHttpHeaders } }): Promise<Context> => {
  const user = req.headers['x-user'];
  return typeof user === 'string' ? { user } : {};
};

/** The one Apollo Server builder of the tests: standalone or Express 5 (with the drain plugin). */
export async function startApollo(options: ApolloOptions): Promise<ApolloTestServer> {
  const plugins = [
    ...(options.pluginsBefore ?? []),
    idempotencyPlugin<Context>({ scope: (ctx) => ctx.user, ...options.idempotency }),
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
    const apollo = new ApolloServer<Context>({ ...config, plugins });
    const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' }, context });
    return { url, apollo, close: () => apollo.stop() };
  }

  const app = express();
  const httpServer = createServer(app);
  const apollo = new ApolloServer<Context>({
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
}

/** The payments server most Apollo tests share: `startApollo` with the payments schema. */
export interface TestServer extends ApolloTestServer {
  /** How often each resolver ran, by field name. */
  runs: Record<string, number>;
}

export async function startTestServer(integration: Integration, options: TestServerOptions = {}): Promise<TestServer> {
  const runs: Record<string, number> = {};
  const ran = async (field: string, amount: number, context: Context) => {
    runs[field] = (runs[field] ?? 0) + 1;
    await options.beforeResolve?.();
    return { id: `${field}-${runs[field]}`, amount, key: context.idempotency?.key, fence: context.idempotency?.fence };
  };
  const resolvers = {
    Query: {
      ping: () => {
        runs.ping = (runs.ping ?? 0) + 1;
        return 'pong';
      },
    },
    Mutation: {
      createPayment: (_: unknown, args: { amount: number }, context: Context) =>
        ran('createPayment', args.amount, context),
      forbidden: async (_: unknown, args: { amount: number }, context: Context) => {
        await ran('forbidden', args.amount, context);
        // Apollo Server's form of `extensions.http`: its headers are a HeaderMap.
        const extensions: Record<string, unknown> = {
          code: 'FORBIDDEN',
          http: { status: 403, headers: new HeaderMap([['x-limit', '10']]) },
        };
        throw new GraphQLError('Limit exceeded.', { extensions });
      },
    },
    Payment: {
      receipt: () => {
        throw new Error('receipt printer on fire');
      },
    },
  };
  const { beforeResolve: _, ...apolloOptions } = options;
  return { ...(await startApollo({ ...apolloOptions, typeDefs, resolvers, integration })), runs };
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** A GraphQL POST (one operation or a batch) over real HTTP; returns status, headers and the body as text and JSON. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: JSON.parse(text) as GraphQLBody & GraphQLBody[],
  };
}

/**
 * The body a replay must have: the first body, byte for byte, with `extensions.idempotency.replayed`
 * added (and Apollo Server's trailing newline).
 */
export function replayOf(firstText: string): string {
  const first = JSON.parse(firstText) as GraphQLBody;
  return `${JSON.stringify({ ...first, extensions: { ...first.extensions, idempotency: { replayed: true } } })}\n`;
}

/** Request headers of a caller (`x-user`) and, if given, its key. */
export const as = (user: string | undefined, key?: string): Record<string, string> => ({
  ...(user === undefined ? {} : { 'x-user': user }),
  ...(key === undefined ? {} : { 'idempotency-key': key }),
});

/** The codes of a response's errors. */
export const codes = (body: GraphQLBody): unknown[] | undefined => body.errors?.map((error) => error.extensions?.code);

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
