/**
 * The servers under load: the same keyed mutation (one Redis write) on GraphQL Yoga, tRPC and
 * Express, each without idempotency, with this library, and (Express) with `express-idempotency`.
 * Started in a child process by `server-process.ts`.
 */
import { createServer, type Server } from 'node:http';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { createSchema, createYoga } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { useIdempotency } from '../../src/graphql/index.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { idempotency } from '../../src/trpc/index.js';
import { insertPayment, type PaymentInput } from '../support/fixture.js';
import { createExpressApp } from './express-app.js';

export type Framework = 'yoga' | 'trpc' | 'express';
/** `bare`: no idempotency; `plugin`: this library; `peer`: express-idempotency (Express only). */
export type Variant = 'bare' | 'plugin' | 'peer';

/** How a load generator calls the mutation on each framework. */
export const mutationRequest: Record<Framework, { path: string; body: string }> = {
  yoga: {
    path: '/graphql',
    body: JSON.stringify({ query: 'mutation { createPayment(amount: 4200, currency: "EUR") { id amount currency createdAt } }' }),
  },
  trpc: { path: '/createPayment', body: JSON.stringify({ amount: 4200, currency: 'EUR' }) },
  express: { path: '/payments', body: JSON.stringify({ amount: 4200, currency: 'EUR' }) },
};

/** A node:http server for `framework` and `variant`; `database` takes the mutation's write, `idempotencyRedis` the records. */
export function createBenchServer(framework: Framework, variant: Variant, database: Redis, idempotencyRedis: Redis): Server {
  if (variant === 'peer' && framework !== 'express') throw new Error('the peer variant exists for Express only');
  const store = variant === 'plugin' ? createRedisStore({ redis: idempotencyRedis, prefix: `bench:http:${framework}:` }) : undefined;
  if (framework === 'express') {
    const guard = store ? { kind: 'core' as const, store } : variant === 'peer' ? { kind: 'express-idempotency' as const, redis: idempotencyRedis } : { kind: 'none' as const };
    return createServer(createExpressApp(database, guard));
  }
  let n = 0;
  const insert = (input: PaymentInput) => insertPayment(database, input, (n += 1));
  if (framework === 'yoga') {
    const schema = createSchema({
      typeDefs: /* GraphQL */ `
        type Query { ping: String! }
        type Payment { id: ID! amount: Int! currency: String! createdAt: String! }
        type Mutation { createPayment(amount: Int!, currency: String!): Payment! }
      `,
      resolvers: {
        Query: { ping: () => 'pong' },
        Mutation: {
          createPayment: async (_: unknown, input: PaymentInput) => {
            const payment = await insert(input);
            return { ...payment, createdAt: payment.createdAt.toISOString() };
          },
        },
      },
    });
    const yoga = createYoga({ schema, logging: false, plugins: store ? [useIdempotency({ store, scope: false })] : [] });
    return createServer(yoga);
  }
  const t = initTRPC.create();
  const procedure = store ? t.procedure.use(idempotency({ store, scope: false })) : t.procedure;
  const router = t.router({
    createPayment: procedure.input((raw: unknown) => raw as PaymentInput).mutation(({ input }) => insert(input)),
  });
  return createServer(createHTTPHandler({ router, createContext: ({ req, res }) => ({ req, res }) }));
}
