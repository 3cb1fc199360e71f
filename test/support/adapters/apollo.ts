/**
 * Apollo Server 5 with idempotencyPlugin through the one Apollo harness (servers/apollo-server.ts),
 * served the two ways the adapter's tests cover: standalone and Express 5. The schema and
 * bodies are the matrix's GraphQL ones (graphql.ts), `@idempotent(key:)` declared; clients are the
 * GraphQL HTTP ones (`graphqlHttp`): the key in the header or in the directive.
 */
import type { IdempotencyEventHandler } from '../../../src/core/events.js';
import type { ConcurrentPolicy } from '../../../src/core/options.js';
import type { IdempotencyStore } from '../../../src/core/store.js';
import { startApollo, type Context, type Integration } from '../servers/apollo-server.js';
import { paymentResolvers, typeDefs, type HttpEndpoint } from './graphql.js';
import { observeStore, type Ledger } from './ledger.js';

export type ApolloIntegration = Integration;

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

/** The matrix's Apollo row: the shared Apollo harness (`startApollo`) with the matrix's schema and an observed store. */
export async function startApolloServer({
  ledger,
  store,
  lease,
  concurrent,
  integration,
  onEvent,
}: ApolloServerOptions): Promise<ApolloTestServer> {
  const observed = observeStore(store);
  const server = await startApollo({
    typeDefs,
    resolvers: paymentResolvers<Context>(ledger, (context) => context.user),
    integration,
    idempotency: { store: observed.store, lease, concurrent, onEvent },
  });
  return { httpUrl: server.url, answered: observed.answered, close: () => server.close() };
}
