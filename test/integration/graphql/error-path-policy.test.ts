/**
 * The error policy judges what the root resolver did, not an error's `path`: a root resolver that
 * re-throws a downstream service's 503 whose path points below the root field threw, so the key is
 * freed and the retry runs (Yoga over `yoga.fetch`, Apollo Server standalone over HTTP, real Redis).
 * Origin: issue #18, December 2026.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { idempotencyPlugin } from '../../../src/apollo-server/index.js';
import { useIdempotency } from '../../../src/envelop/index.js';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { as, post, startYoga } from '../../support/servers/yoga.js';

const typeDefs = /* GraphQL */ `
  type Query {
    ping: String!
  }
  type Charge {
    id: ID!
    status: String!
  }
  type Mutation {
    createCharge(amount: Int!): Charge
  }
`;

/** A resolver whose first call fails as a downstream GraphQL service's 503, re-thrown with its deep path. */
function downstreamThatRecovers() {
  const runs = { createCharge: 0 };
  const resolvers = {
    Query: { ping: () => 'pong' },
    Mutation: {
      createCharge: (_: unknown, { amount }: { amount: number }) => {
        runs.createCharge++;
        if (runs.createCharge === 1)
          throw new GraphQLError('Payments service unavailable.', {
            path: ['createCharge', 'status'],
            extensions: { http: { status: 503 } },
          });
        return { id: `ch_${runs.createCharge}`, status: `paid ${amount}` };
      },
    },
  };
  return { runs, resolvers };
}

const store = () => createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('error-path') });
const MUTATION = 'mutation { createCharge(amount: 5) { id status } }';

interface Answer {
  status: number;
  replayed: string | null;
  body: { data?: unknown; errors?: { message: string }[]; extensions?: unknown };
}

/** Sends the mutation three times with one key: the 503, the retry that runs, and a replay of that retry. */
async function threeTries(send: () => Promise<Answer>, runs: { createCharge: number }) {
  const failed = await send();
  expect(failed.status).toBe(503);
  expect(failed.body.errors?.[0]?.message).toBe('Payments service unavailable.');

  const retry = await send();
  expect(retry.status).toBe(200);
  expect(retry.replayed).toBeNull();
  expect(retry.body.data).toEqual({ createCharge: { id: 'ch_2', status: 'paid 5' } });

  const replay = await send();
  expect(replay.replayed).toBe('true');
  expect(replay.body.data).toEqual(retry.body.data);
  expect(runs.createCharge).toBe(2);
}

describe('a root resolver that throws a 503 whose path points below the root field', () => {
  it('Yoga: the 503 frees the key, the retry runs and is stored', async () => {
    const { runs, resolvers } = downstreamThatRecovers();
    const yoga = createYoga({
      schema: createSchema({ typeDefs, resolvers }),
      plugins: [useIdempotency({ store: store(), scope: false })],
      logging: false,
    });
    await threeTries(async () => {
      const response = await yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'charge-1' },
        body: JSON.stringify({ query: MUTATION }),
      });
      return {
        status: response.status,
        replayed: response.headers.get('idempotent-replayed'),
        body: (await response.json()) as Answer['body'],
      };
    }, runs);
  });

  it.skipIf(graphqlMajor !== 16)('Apollo Server: the 503 frees the key, the retry runs and is stored', async () => {
    const { runs, resolvers } = downstreamThatRecovers();
    const apollo = new ApolloServer({
      typeDefs,
      resolvers,
      plugins: [idempotencyPlugin({ store: store(), scope: false })],
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });
    try {
      await threeTries(async () => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'charge-1' },
          body: JSON.stringify({ query: MUTATION }),
        });
        return {
          status: response.status,
          replayed: response.headers.get('idempotent-replayed'),
          body: (await response.json()) as Answer['body'],
        };
      }, runs);
    } finally {
      await apollo.stop();
    }
  });
});

describe('Yoga on node:http: a coded SERVICE_UNAVAILABLE 503 thrown by the root resolver', () => {
  it.each([
    ['whose path points below the root field', ['ledger', 'debit']],
    ['without a path', undefined],
  ])('%s frees the key: the retry runs the resolver again', async (_, path) => {
    let runs = 0;
    const server = await startYoga({
      typeDefs: 'type Query { ok: Boolean! } type Mutation { pay(amount: Int!): Int! }',
      resolvers: {
        Query: { ok: () => true },
        Mutation: {
          pay: () => {
            runs++;
            if (runs === 1)
              throw new GraphQLError('ledger service unavailable', {
                ...(path ? { path } : {}),
                extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
              });
            return runs;
          },
        },
      },
      label: 'error-path-503',
    });
    const body = { query: 'mutation { pay(amount: 5) }' };
    const first = await post(server, body, as('alice', '"k-503"'));
    expect(first.json.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const retry = await post(server, body, as('alice', '"k-503"'));
    expect(runs).toBe(2);
    expect(retry.json.data).toEqual({ pay: 2 });
  });
});
