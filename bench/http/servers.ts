/**
 * The servers under load: the same keyed mutation on GraphQL Yoga, tRPC and Express, each without
 * idempotency, with this library, and (Express) with `express-idempotency` and with
 * `@node-idempotency/core`. The mutation is one Redis `SET` (the stand-in) or a PostgreSQL
 * transaction inserting a payment row (the realistic workload). Started in a child process by
 * `server-process.ts`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { createSchema, createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { Pool, PoolClient } from 'pg';
import type { IdempotencyStore } from '../../src/index.js';
import { createPostgresStore, createRedisStore, idempotency, useIdempotency } from '../support/library.js';
import { insertPayment, type Payment, type PaymentInput } from '../support/fixture.js';
import {
  createPool,
  inTransaction,
  insertPaymentOn,
  insertPaymentRow,
  PG_CEILING_CLAIMS,
  PG_SCHEMA,
} from '../support/postgres.js';
import { createExpressApp, type ExpressGuard } from './express-app.js';

export type Framework = 'yoga' | 'trpc' | 'express';
/**
 * `bare`: no idempotency; `plugin`: this library (Redis store); `ceiling`: no idempotency, but the
 * mutation makes the two extra plain Redis round trips any idempotent first execution needs (see
 * {@link withCeilingRoundTrips}); the two peers exist on Express only. On the PostgreSQL workload
 * (Yoga and tRPC): `postgres-store`, this library with the PostgreSQL store, the row written through
 * `ctx.idempotency.tx()`; `postgres-ceiling`, its structural ceiling (see {@link withPostgresCeiling});
 * `postgres-ceiling-async`, the same with the claim committed asynchronously (`synchronous_commit = off`).
 */
export type Guard =
  | 'bare'
  | 'plugin'
  | 'ceiling'
  | 'express-idempotency'
  | 'node-idempotency'
  | 'postgres-store'
  | 'postgres-ceiling'
  | 'postgres-ceiling-async';

/** What a resolver or procedure hands the mutation: its `idempotency` run context, where there is one. */
interface MutationContext {
  idempotency?: { tx<Client>(): Promise<Client> };
}
type Mutation = (input: PaymentInput, context: MutationContext) => Promise<Payment>;
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
  if (framework !== 'express' && (guard === 'express-idempotency' || guard === 'node-idempotency'))
    throw new Error(`${guard} exists for Express only`);
  const onPostgresStore =
    guard === 'postgres-store' || guard === 'postgres-ceiling' || guard === 'postgres-ceiling-async';
  if (onPostgresStore && (framework === 'express' || workload !== 'postgres'))
    throw new Error(`${guard} exists for the PostgreSQL workload on Yoga and tRPC only`);
  const connect = () => new Redis(redisUrl, { enableAutoPipelining: autoPipelining });
  const idempotencyRedis = connect();
  const { insert, store } = await guarded(config, connect, idempotencyRedis);
  if (framework === 'express') {
    const expressGuard: ExpressGuard =
      guard === 'plugin' && store
        ? { kind: 'core', store }
        : guard === 'express-idempotency'
          ? { kind: 'express-idempotency', redis: idempotencyRedis }
          : guard === 'node-idempotency'
            ? { kind: 'node-idempotency', redisUrl }
            : { kind: 'none' };
    return createServer(await createExpressApp((input) => insert(input, {}), expressGuard));
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
          createPayment: async (_: unknown, input: PaymentInput, context: MutationContext) => {
            const payment = await insert(input, context);
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
    createPayment: procedure
      .input((raw: unknown) => raw as PaymentInput)
      .mutation(({ input, ctx }) => insert(input, ctx as MutationContext)),
  });
  return createServer(createHTTPHandler({ router, createContext: ({ req, res }) => ({ req, res }) }));
}

/** The mutation and the store (none without idempotency) of `config.guard`. */
async function guarded(
  config: ServerConfig,
  connect: () => Redis,
  idempotencyRedis: Redis,
): Promise<{ insert: Mutation; store: IdempotencyStore | undefined }> {
  const { framework, guard, workload, autoPipelining } = config;
  if (guard === 'postgres-store') {
    const pool = postgresPool(config);
    // A fresh records table per server process: keys of an earlier run would replay.
    const table = `http_records_${framework}`;
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}; DROP TABLE IF EXISTS ${PG_SCHEMA}.${table}`);
    const store = createPostgresStore({ pool, schema: PG_SCHEMA, table, cleanupInterval: 0 });
    return {
      store,
      insert: async (input, context) => insertPaymentOn(await requireTx(context), input),
    };
  }
  if (guard === 'postgres-ceiling' || guard === 'postgres-ceiling-async')
    return {
      insert: withPostgresCeiling(postgresPool(config), { asyncClaim: guard === 'postgres-ceiling-async' }),
      store: undefined,
    };
  const insert = mutation(config, connect);
  if (guard === 'ceiling') return { insert: withCeilingRoundTrips(insert, idempotencyRedis), store: undefined };
  if (guard !== 'plugin') return { insert, store: undefined };
  const prefix = `bench:http:${framework}:${workload}:${autoPipelining ? 'ap' : 'plain'}:`;
  return { insert, store: createRedisStore({ redis: idempotencyRedis, prefix }) };
}

function requireTx(context: MutationContext): Promise<PoolClient> {
  if (!context.idempotency) throw new Error('the PostgreSQL-store mutation runs without ctx.idempotency');
  return context.idempotency.tx<PoolClient>();
}

function postgresPool({ postgresUrl, poolSize }: ServerConfig): Pool {
  if (!postgresUrl) throw new Error('the postgres workload needs postgresUrl');
  return createPool(postgresUrl, poolSize);
}

/**
 * The structural ceiling of the PostgreSQL store: what a first execution cannot do without when the
 * stored result commits with the mutation's writes and the claim commits on its own before them
 * (so a duplicate is refused, and the claim, its fence and its lease survive a crash). A claim row
 * inserted and committed on its own (one round trip, one durable commit), then `BEGIN`, the
 * mutation's `INSERT`, and the completion `UPDATE` sent with `COMMIT` in one round trip: four round
 * trips and two commits where the server without idempotency makes three and one. No lease, fence,
 * hashing, serialization or replay. With `asyncClaim`, the claim's commit does not wait for its WAL
 * to reach the disk (`SET LOCAL synchronous_commit = off`, in the same round trip): what giving up
 * the claim's durability through a database crash would buy.
 */
function withPostgresCeiling(pool: Pool, { asyncClaim }: { asyncClaim: boolean }): Mutation {
  const run = randomUUID();
  let n = 0;
  return async (input) => {
    const id = `${run}:${(n += 1)}`;
    if (asyncClaim)
      await pool.query(
        `BEGIN; SET LOCAL synchronous_commit = off; INSERT INTO ${PG_CEILING_CLAIMS} (id) VALUES ('${id}'); COMMIT`,
      );
    else await pool.query(`INSERT INTO ${PG_CEILING_CLAIMS} (id) VALUES ($1)`, [id]);
    return inTransaction(
      pool,
      (client) => insertPaymentOn(client, input),
      (client, payment) =>
        `UPDATE ${PG_CEILING_CLAIMS} SET result = ${client.escapeLiteral(JSON.stringify(payment))} ` +
        `WHERE id = ${client.escapeLiteral(id)}; COMMIT`,
    );
  };
}

/**
 * The structural ceiling: `insert` between two plain `SET`s on the connection an idempotency store
 * would use, one after another, as a first execution must be (claim the key, run the body, store
 * the result): three round trips where the server without idempotency makes one. No script, no
 * hashing, no serialization: what no correct implementation can do with fewer round trips.
 */
function withCeilingRoundTrips(insert: Mutation, redis: Redis): Mutation {
  let n = 0;
  return async (input, context) => {
    const key = `bench:ceiling:${(n += 1)}`;
    await redis.set(key, 'running', 'PX', 60_000);
    const payment = await insert(input, context);
    await redis.set(key, JSON.stringify(payment), 'PX', 60_000);
    return payment;
  };
}

/** The mutation body for the workload. */
function mutation(config: ServerConfig, connect: () => Redis): Mutation {
  if (config.workload === 'postgres') {
    const pool = postgresPool(config);
    return (input) => insertPaymentRow(pool, input);
  }
  const database = connect();
  let n = 0;
  return (input) => insertPayment(database, input, (n += 1));
}
