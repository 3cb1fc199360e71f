/**
 * Yoga (useIdempotency) with the PostgreSQL store: writes through `context.idempotency.tx()` commit
 * with the stored result, once (issue #19).
 */
import { createSchema, createYoga } from 'graphql-yoga';
import { describe } from 'vitest';
import { useIdempotency } from '../../../src/envelop/index.js';
import { paymentResolvers, paymentTypeDefs, txScenarios, type Answer } from '../../support/graphql-tx-scenarios.js';

describe('Yoga: ctx.idempotency.tx() on PostgreSQL', () => {
  txScenarios(async (options, control) => {
    const yoga = createYoga({
      schema: createSchema({ typeDefs: paymentTypeDefs, resolvers: paymentResolvers(control) }),
      plugins: [useIdempotency({ ...options, scope: false })],
      logging: false,
    });
    return {
      async send(query, key) {
        const response = await yoga.fetch('http://yoga/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify({ query }),
        });
        return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
      },
      close: () => yoga.dispose() as Promise<void>,
    };
  });
});
