/**
 * Attack: a fingerprint that misses part of the request. The GraphQL fingerprint hashes the variables
 * *after coercion*; a custom scalar's parseValue may return a value object whose state is not in its
 * own enumerable properties (a `#private` field, a symbol-keyed slot, internal slots as in the
 * Temporal polyfill or bson's ObjectId). Two requests with different amounts then hash the same,
 * and the second is answered with the first one's stored result instead of 422.
 */
import { GraphQLScalarType, Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { as, codes, post, startYoga } from '../../support/servers/yoga.js';
import { Money } from '../../support/money.js';

const MoneyScalar = new GraphQLScalarType({
  name: 'Money',
  parseValue: (value) => new Money(BigInt(value as string)),
  parseLiteral: (ast) => (ast.kind === Kind.STRING || ast.kind === Kind.INT ? new Money(BigInt(ast.value)) : null),
  serialize: (value) => String((value as Money).cents),
});

describe('fingerprint of custom scalar values (coerced variables)', () => {
  it('the same key with another Money amount is 422, not a replay of the other amount', async () => {
    let runs = 0;
    const server = await startYoga({
      label: 'scalar-fp',
      typeDefs: /* GraphQL */ `
        scalar Money
        type Query {
          ping: String
        }
        type Transfer {
          id: ID!
          amount: Money!
        }
        type Mutation {
          transfer(amount: Money!): Transfer!
        }
      `,
      resolvers: {
        Money: MoneyScalar,
        Mutation: { transfer: (_: unknown, { amount }: { amount: Money }) => ({ id: `t${++runs}`, amount }) },
      },
    });
    const query = 'mutation Transfer($amount: Money!) { transfer(amount: $amount) { id amount } }';
    const first = await post(server, { query, variables: { amount: '100' } }, as('alice', '"money-1"'));
    expect(first.json.data).toEqual({ transfer: { id: 't1', amount: '100' } });

    const other = await post(server, { query, variables: { amount: '999999' } }, as('alice', '"money-1"'));
    // Promise: same key, other variables → 422 IDEMPOTENCY_KEY_PARAMETER_MISMATCH, nothing runs.
    expect(codes(other.json)).toEqual(['IDEMPOTENCY_KEY_PARAMETER_MISMATCH']);
    expect(other.json.data).not.toEqual({ transfer: { id: 't1', amount: '100' } });
  });
});
