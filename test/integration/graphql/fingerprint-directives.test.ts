/**
 * What the GraphQL fingerprint sees, on each GraphQL server through its harness (Yoga in-process,
 * Apollo Server standalone): the fingerprint is documented as "the operation as executed"; an
 * operation-level directive is part of the operation, and resolvers / plugins read it.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { describe, expect, it } from 'vitest';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { startApollo } from '../../support/servers/apollo-server.js';
import { asSfString as as, codes, post } from '../../support/servers/graphql-requests.js';
import { onClose, redisStore, startYoga } from '../../support/servers/yoga.js';

/** A schema whose `pay` mutation is a dry run under an operation-level `@dryRun`. */
const typeDefs = /* GraphQL */ `
  directive @dryRun on MUTATION
  type Query {
    ok: Boolean
  }
  type Charge {
    charged: Boolean!
    amount: Int!
  }
  type Mutation {
    pay(amount: Int!): Charge!
  }
`;

/** `pay`, counting its runs and its real charges. */
function payments() {
  const counts = { runs: 0, charges: 0 };
  const pay = (
    _: unknown,
    { amount }: { amount: number },
    _ctx: unknown,
    info: { operation: { directives?: readonly { name: { value: string } }[] } },
  ) => {
    const dryRun = info.operation.directives?.some((d) => d.name.value === 'dryRun') ?? false;
    counts.runs++;
    if (!dryRun) counts.charges++;
    return { charged: !dryRun, amount };
  };
  return { counts, resolvers: { Mutation: { pay } } };
}

type Resolvers = ReturnType<typeof payments>['resolvers'];
/** Serves `resolvers`; returns where to post. */
type Serve = (resolvers: Resolvers) => Promise<Parameters<typeof post>[0]>;

// Apollo Server 5 supports graphql 16 only: its plugin refuses to start on graphql 17.
const SERVERS: [string, Serve][] = [
  ['Yoga', (resolvers) => startYoga({ label: 'op-directive', typeDefs, resolvers })],
  ...(graphqlMajor === 16
    ? ([
        [
          'Apollo Server',
          async (resolvers: Resolvers) => {
            const server = await startApollo({
              typeDefs,
              resolvers,
              idempotency: { store: redisStore('op-directive') },
            });
            onClose(server.close);
            return server.url;
          },
        ],
      ] as [string, Serve][])
    : []),
];

describe.each(SERVERS)(
  '%s: an operation-level directive (mutation @dryRun { … }) is in the fingerprint',
  (_, serve) => {
    it('a dry run and a real charge under one key are two different requests: the second is 422, never the dry run replayed as the charge', async () => {
      const { counts, resolvers } = payments();
      const server = await serve(resolvers);
      // The client previews the charge, then sends the real one. (Same key: a buggy client, or an
      // attacker-free mistake; the promise is 422 for "same key, different request".)
      const preview = await post(
        server,
        { query: 'mutation @dryRun { pay(amount: 500) { charged amount } }' },
        as('alice', 'k-1'),
      );
      expect(preview.json.data).toEqual({ pay: { charged: false, amount: 500 } });
      const real = await post(
        server,
        { query: 'mutation { pay(amount: 500) { charged amount } }' },
        as('alice', 'k-1'),
      );
      // Promise: same key + another request → 422 IDEMPOTENCY_KEY_PARAMETER_MISMATCH (nothing runs),
      // never the other request's result.
      expect({
        status: real.status,
        codes: codes(real.json),
        replayed: real.headers.get('idempotent-replayed'),
      }).toEqual({
        status: 422,
        codes: ['IDEMPOTENCY_KEY_PARAMETER_MISMATCH'],
        replayed: null,
      });
      expect(counts.runs).toBe(1);
      expect(counts.charges).toBe(0);
    });
  },
);
