/**
 * The error policy judges what the root resolver did, not an error's `path`: a root resolver that
 * re-throws a downstream service's 503 (coded or not, its path below the root field or none) threw,
 * so the key is freed and the retry runs; the retry's result is stored and replayed. On each GraphQL
 * server through its harness: Yoga (in-process), Apollo Server standalone and under Express 5 (a
 * context that holds only the caller). Real Redis. Origin: issue #18, December 2026.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { GraphQLError, type GraphQLErrorOptions } from 'graphql';
import { describe, expect, it } from 'vitest';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { onClose, post, redisStore, startYoga } from '../../support/servers/yoga.js';
import { startApollo, type Integration } from '../../support/servers/apollo-server.js';

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

/** The errors a downstream service's 503 arrives as. */
const ERRORS: [string, GraphQLErrorOptions][] = [
  [
    'an uncoded 503 whose path points below the root field',
    { path: ['createCharge', 'status'], extensions: { http: { status: 503 } } },
  ],
  [
    'a coded SERVICE_UNAVAILABLE 503 whose path points below the root field',
    { path: ['ledger', 'debit'], extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } },
  ],
  [
    'a coded SERVICE_UNAVAILABLE 503 without a path',
    { extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } },
  ],
];

/** A resolver whose first call fails with `error` (a downstream service's 503, re-thrown as it came). */
function downstreamThatRecovers(error: GraphQLErrorOptions) {
  const runs = { createCharge: 0 };
  const resolvers = {
    Query: { ping: () => 'pong' },
    Mutation: {
      createCharge: (_: unknown, { amount }: { amount: number }) => {
        runs.createCharge++;
        if (runs.createCharge === 1) throw new GraphQLError('Payments service unavailable.', error);
        return { id: `ch_${runs.createCharge}`, status: `paid ${amount}` };
      },
    },
  };
  return { runs, resolvers };
}

type Resolvers = ReturnType<typeof downstreamThatRecovers>['resolvers'];
/** Serves `resolvers` with no scope; returns where to post. */
type Serve = (resolvers: Resolvers) => Promise<Parameters<typeof post>[0]>;

const apollo =
  (integration: Integration): Serve =>
  async (resolvers) => {
    const server = await startApollo({
      typeDefs,
      resolvers,
      integration,
      idempotency: { store: redisStore('error-path'), scope: false },
    });
    onClose(server.close);
    return server.url;
  };

// Apollo Server 5 supports graphql 16 only: its plugin refuses to start on graphql 17.
const SERVERS: [string, Serve][] = [
  ['Yoga', (resolvers) => startYoga({ typeDefs, resolvers, label: 'error-path', idempotency: { scope: false } })],
  ...(graphqlMajor === 16
    ? ([
        ['Apollo Server', apollo('standalone')],
        ['Apollo Server under Express 5', apollo('express')],
      ] as [string, Serve][])
    : []),
];

describe.each(SERVERS)('%s: a root resolver that throws a downstream service’s 503', (_, serve) => {
  it.each(ERRORS)('%s frees the key: the retry runs, is stored and replayed', async (_, error) => {
    const { runs, resolvers } = downstreamThatRecovers(error);
    const target = await serve(resolvers);
    const send = () =>
      post(target, { query: 'mutation { createCharge(amount: 5) { id status } }' }, { 'idempotency-key': 'charge-1' });

    const failed = await send();
    expect(failed.status).toBe(503);
    expect(failed.json.errors?.[0]?.message).toBe('Payments service unavailable.');
    if (error.extensions?.code) expect(failed.json.errors?.[0]?.extensions?.code).toBe(error.extensions.code);

    const retry = await send();
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.json.data).toEqual({ createCharge: { id: 'ch_2', status: 'paid 5' } });

    const replay = await send();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.json.data).toEqual(retry.json.data);
    expect(runs.createCharge).toBe(2);
  });
});
