/**
 * Apollo Server 5 with idempotencyPlugin, served the two ways the adapter's tests cover: the
 * standalone server (`startStandaloneServer`) and the Express 5 integration (`expressMiddleware`
 * from @as-integrations/express5 on a node:http server, with the drain plugin). The schema and
 * bodies are the matrix's GraphQL ones (graphql.ts), `@idempotent(key:)` declared; clients are the
 * GraphQL HTTP ones (`graphqlHttp`): the key in the header or in the directive.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { startStandaloneServer } from '@apollo/server/standalone';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { idempotencyPlugin, type GraphQLIdempotencyContext } from '../../../src/apollo-server/index.js';
import type { IdempotencyEventHandler } from '../../../src/core/events.js';
import type { ConcurrentPolicy } from '../../../src/core/options.js';
import type { IdempotencyStore } from '../../../src/core/store.js';
import { paymentResolvers, typeDefs, type HttpEndpoint } from './graphql.js';
import { observeStore, type Ledger } from './ledger.js';

/** The caller from the `x-user` header, and what the plugin adds while a mutation runs. */
export interface ApolloContext {
  user?: string;
  idempotency?: GraphQLIdempotencyContext;
}

export type ApolloIntegration = 'standalone' | 'express';

export interface ApolloServerOptions {
  ledger: Ledger;
  store: IdempotencyStore;
  lease: number;
  concurrent: ConcurrentPolicy;
  integration: ApolloIntegration;
  onEvent?: IdempotencyEventHandler;
}

export interface ApolloTestServer extends HttpEndpoint {
  close(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export async function startApolloServer({
  ledger,
  store,
  lease,
  concurrent,
  integration,
  onEvent,
}: ApolloServerOptions): Promise<ApolloTestServer> {
  const observed = observeStore(store);
  const config = {
    typeDefs,
    resolvers: paymentResolvers<ApolloContext>(ledger, (context) => context.user),
    logger: silent,
    includeStacktraceInErrorResponses: false,
  };
  const idempotency = idempotencyPlugin<ApolloContext>({
    store: observed.store,
    lease,
    concurrent,
    scope: (context) => context.user,
    onEvent,
  });
  const context = async ({ req }: { req: { headers: IncomingHttpHeaders } }): Promise<ApolloContext> => {
    const user = req.headers['x-user'];
    return typeof user === 'string' ? { user } : {};
  };

  if (integration === 'standalone') {
    const apollo = new ApolloServer<ApolloContext>({ ...config, plugins: [idempotency] });
    const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' }, context });
    return { httpUrl: url, answered: observed.answered, close: () => apollo.stop() };
  }

  const app = express();
  const httpServer = createServer(app);
  const apollo = new ApolloServer<ApolloContext>({
    ...config,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), idempotency],
  });
  await apollo.start();
  app.use('/graphql', express.json(), expressMiddleware(apollo, { context }));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    httpUrl: `http://127.0.0.1:${port}/graphql`,
    answered: observed.answered,
    close: async () => {
      await apollo.stop();
      httpServer.closeAllConnections();
    },
  };
}
