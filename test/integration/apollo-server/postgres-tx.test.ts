import { graphqlMajor } from '../../../src/graphql/index.js';
/**
 * Apollo Server (idempotencyPlugin) with the PostgreSQL store, over HTTP: writes through
 * `contextValue.idempotency.tx()` commit with the stored result, once (issue #19).
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { describe } from 'vitest';
import { idempotencyPlugin } from '../../../src/apollo-server/index.js';
import { paymentResolvers, paymentTypeDefs, txScenarios, type Answer } from '../../support/graphql-tx-scenarios.js';

describe.skipIf(graphqlMajor !== 16)('Apollo Server: ctx.idempotency.tx() on PostgreSQL', () => {
  txScenarios(async (options, control) => {
    const server = new ApolloServer({
      typeDefs: paymentTypeDefs,
      resolvers: paymentResolvers(control),
      plugins: [idempotencyPlugin({ ...options, scope: false })],
    });
    const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
    return {
      async send(query, key) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify({ query }),
        });
        return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
      },
      close: () => server.stop(),
    };
  });
});
