/**
 * `ctx.idempotency.tx()` on PostgreSQL through each GraphQL server, over the harnesses: Yoga
 * (useIdempotency, in-process) and Apollo Server (idempotencyPlugin, standalone over HTTP). Writes
 * through the attempt's transaction commit with the stored result, once (issue #19).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { createPostgresStore } from '../../../src/stores/postgres.js';
import { paymentResolvers, paymentTypeDefs, txScenarios, type Serve } from '../../support/graphql-tx-scenarios.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { startPostgresProxy, type PostgresProxy } from '../../support/postgres-proxy.js';
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

describe('Yoga on PostgreSQL: round trips of a keyed mutation, counted on the wire', () => {
  let database: TestDatabase;
  let proxy: PostgresProxy;
  beforeAll(async () => {
    database = await createTestDatabase();
    await database
      .pool({ max: 1 })
      .query('CREATE TABLE payments (id serial PRIMARY KEY, key text, amount int NOT NULL)');
    proxy = await startPostgresProxy({ host: '127.0.0.1', port: 5432 });
  });
  afterAll(async () => {
    await proxy?.close();
    await database?.drop();
  });

  it('one root field: first execution 4 (claim, BEGIN, INSERT, completion with COMMIT), replay 1; two root fields: 6, the first one’s savepoint set with BEGIN', async () => {
    const pool = database.pool({ connectionString: proxy.url(database.name), max: 1 });
    const store = createPostgresStore({ pool, cleanupInterval: 0, timeout: 30_000 });
    const server = await startYoga({
      typeDefs: paymentTypeDefs,
      resolvers: paymentResolvers({ failNext: 0 }),
      idempotency: { store, scope: false },
    });
    const send = sender(server);
    const counted = async (query: string, key: string) => {
      const before = proxy.roundTrips;
      const { body } = await send(query, key);
      expect((body as { errors?: unknown }).errors).toBeUndefined();
      return proxy.roundTrips - before;
    };
    await counted('mutation { pay(amount: 1) { id } }', randomUUID()); // connects and creates the schema
    const key = randomUUID();
    expect(await counted('mutation { pay(amount: 2) { id } }', key)).toBe(4);
    expect(await counted('mutation { pay(amount: 2) { id } }', key)).toBe(1);
    // claim; BEGIN with a's savepoint; a's INSERT; b's savepoint; b's INSERT; completion with COMMIT
    expect(await counted('mutation { a: pay(amount: 3) { id } b: pay(amount: 4) { id } }', randomUUID())).toBe(6);
  });
});
