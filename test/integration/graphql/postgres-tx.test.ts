/**
 * `ctx.idempotency.tx()` on PostgreSQL through each GraphQL server, over the harnesses: Yoga
 * (useIdempotency, in-process) and Apollo Server (idempotencyPlugin, standalone over HTTP). Writes
 * through the attempt's transaction commit with the stored result, once (issue #19).
 */
import { describe } from 'vitest';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { paymentResolvers, paymentTypeDefs, txScenarios, type Serve } from '../../support/graphql-tx-scenarios.js';
import { startApollo } from '../../support/servers/apollo-server.js';
import { post } from '../../support/servers/graphql-requests.js';
import { startYoga } from '../../support/servers/yoga.js';

/** One operation, with the key header when given, as the scenarios read it. */
const sender = (target: Parameters<typeof post>[0]) => async (query: string, key?: string) => {
  const { status, headers, json } = await post(target, { query }, key ? { 'idempotency-key': key } : {});
  return { status, headers, body: json as never };
};

const servers: [string, Serve][] = [
  [
    'Yoga',
    async (options, control) => {
      const server = await startYoga({
        typeDefs: paymentTypeDefs,
        resolvers: paymentResolvers(control),
        idempotency: { ...options, scope: false },
      });
      return { send: sender(server), close: server.close };
    },
  ],
  [
    'Apollo Server',
    async (options, control) => {
      const server = await startApollo({
        typeDefs: paymentTypeDefs,
        resolvers: paymentResolvers(control),
        idempotency: { ...options, scope: false },
      });
      return { send: sender(server.url), close: server.close };
    },
  ],
];

// Apollo Server 5 supports graphql 16 only: its plugin refuses to start on graphql 17.
describe.each(servers.filter(([name]) => graphqlMajor === 16 || name !== 'Apollo Server'))(
  '%s: ctx.idempotency.tx() on PostgreSQL',
  (_, serve) => txScenarios(serve),
);
