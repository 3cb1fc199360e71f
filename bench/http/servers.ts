/**
 * The servers under load: the same keyed mutation on GraphQL Yoga, tRPC and Express, each without
 * idempotency, with this library, and (Express) with `express-idempotency` and with
 * `@node-idempotency/core`. The mutation is one Redis `SET` (the stand-in) or a PostgreSQL
 * transaction inserting a payment row (the realistic workload). Started in a child process by
 * `server-process.ts`.
 */
import { createServer, type Server } from 'node:http';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { createSchema, createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { useIdempotency } from '../support/library.js';
import { createRedisStore } from '../support/library.js';
import { idempotency } from '../support/library.js';
import { insertPayment, type Payment, type PaymentInput } from '../support/fixture.js';
import { createPool, insertPaymentRow } from '../support/postgres.js';
import { createExpressApp, type ExpressGuard } from './express-app.js';

export type Framework = 'yoga' | 'trpc' | 'express';
/**
 * `bare`: no idempotency; `plugin`: this library; `ceiling`: no idempotency, but the mutation makes
 * the two extra plain Redis round trips any idempotent first execution needs (see
 * {@link withCeilingRoundTrips}); the two peers exist on Express only.
 */
export type Guard = 'bare' | 'plugin' | 'ceiling' | 'express-idempotency' | 'node-idempotency';
/** What the mutation does: one Redis `SET` (stand-in) or `BEGIN; INSERT …; COMMIT` in PostgreSQL. */
export type Workload = 'redis' | 'postgres';

/** Everything a bench server process is started with (passed as one JSON argument). */
export interface ServerConfig {
  framework: Framework;
  guard: Guard;
  workload: Workload;
  /** ioredis `enableAutoPipelining` on every ioredis connection of the server (mutation and idempotency records). */
  autoPipelining: boolean;
  redisUrl: string;
  /** Required for the `postgres` workload. */
  postgresUrl?: string;
  /** PostgreSQL pool size (one per load-generator connection, capped). */
  poolSize: number;
}

/** How a load generator calls the mutation on each framework. */
export const mutationRequest: Record<Framework, { path: string; body: string }> = {
  yoga: {
    path: '/graphql',
    body: JSON.stringify({
      query: 'mutation { createPayment(amount: 4200, currency: "EUR") { id amount currency createdAt } }',
    }),
  },
  trpc: { path: '/createPayment', body: JSON.stringify({ amount: 4200, currency: 'EUR' }) },
  express: { path: '/payments', body: JSON.stringify({ amount: 4200, currency: 'EUR' }) },
};

/** A node:http server for `config`. */
export async function createBenchServer(config: ServerConfig): Promise<Server> {
  const { framework, guard, workload, autoPipelining, redisUrl } = config;
  if (framework !== 'express' && guard !== 'bare' && guard !== 'plugin' && guard !== 'ceiling')
    throw new Error(`${guard} exists for Express only`);
  const connect = () => new Redis(redisUrl, { enableAutoPipelining: autoPipelining });
  const idempotencyRedis = connect();
  const insert =
    guard === 'ceiling'
      ? withCeilingRoundTrips(mutation(config, connect), idempotencyRedis)
      : mutation(config, connect);
  const store =
    guard === 'plugin'
      ? createRedisStore({
          redis: idempotencyRedis,
          prefix: `bench:http:${framework}:${workload}:${autoPipelining ? 'ap' : 'plain'}:`,
        })
      : undefined;
  if (framework === 'express') {
    const expressGuard: ExpressGuard =
      guard === 'plugin' && store
        ? { kind: 'core', store }
        : guard === 'express-idempotency'
          ? { kind: 'express-idempotency', redis: idempotencyRedis }
          : guard === 'node-idempotency'
            ? { kind: 'node-idempotency', redisUrl }
            : { kind: 'none' };
    return createServer(await createExpressApp(insert, expressGuard));
  }
  if (framework === 'yoga') {
    const schema = createSchema({
      typeDefs: /* GraphQL */ `
        type Query {
          ping: String!
        }
        type Payment {
          id: ID!
          amount: Int!
          currency: String!
          createdAt: String!
        }
        type Mutation {
          createPayment(amount: Int!, currency: String!): Payment!
        }
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
    const yoga = createYoga({
      schema,
      logging: false,
      plugins: store ? [useIdempotency({ store, scope: false })] : [],
    });
    return createServer(yoga);
  }
  const t = initTRPC.create();
  const procedure = store ? t.procedure.use(idempotency({ store, scope: false })) : t.procedure;
  const router = t.router({
    createPayment: procedure.input((raw: unknown) => raw as PaymentInput).mutation(({ input }) => insert(input)),
  });
  return createServer(createHTTPHandler({ router, createContext: ({ req, res }) => ({ req, res }) }));
}

/**
 * The structural ceiling: `insert` between two plain `SET`s on the connection an idempotency store
 * would use, one after another, as a first execution must be (claim the key, run the body, store
 * the result): three round trips where the server without idempotency makes one. No script, no
 * hashing, no serialization: what no correct implementation can do with fewer round trips.
 */
function withCeilingRoundTrips(
  insert: (input: PaymentInput) => Promise<Payment>,
  redis: Redis,
): (input: PaymentInput) => Promise<Payment> {
  let n = 0;
  return async (input) => {
    const key = `bench:ceiling:${(n += 1)}`;
    await redis.set(key, 'running', 'PX', 60_000);
    const payment = await insert(input);
    await redis.set(key, JSON.stringify(payment), 'PX', 60_000);
    return payment;
  };
}

/** The mutation body for the workload. */
function mutation(
  { workload, postgresUrl, poolSize }: ServerConfig,
  connect: () => Redis,
): (input: PaymentInput) => Promise<Payment> {
  if (workload === 'postgres') {
    if (!postgresUrl) throw new Error('the postgres workload needs postgresUrl');
    const pool = createPool(postgresUrl, poolSize);
    return (input) => insertPaymentRow(pool, input);
  }
  const database = connect();
  let n = 0;
  return (input) => insertPayment(database, input, (n += 1));
}
