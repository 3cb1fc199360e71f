/**
 * Attack 05: a root resolver rethrows a GraphQLError that already carries a path (from a downstream
 * GraphQL execution), coded as transient: SERVICE_UNAVAILABLE, http status 503.
 * Promise (error policy): a coded 503 frees the key, so a retry runs again.
 */
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { yogaServer } from './yoga-support.js';

describe('attack 05: a thrown 503 GraphQLError whose path is deeper than the root field', () => {
  it('frees the key: the retry runs the resolver again', async () => {
    let runs = 0;
    const { post } = await yogaServer(
      /* GraphQL */ `
        type Query { ok: Boolean! }
        type Mutation { pay(amount: Int!): Int! }
      `,
      {
        Query: { ok: () => true },
        Mutation: {
          pay: () => {
            runs++;
            if (runs === 1)
              throw new GraphQLError('ledger service unavailable', {
                path: ['ledger', 'debit'],
                extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
              });
            return runs;
          },
        },
      },
    );
    const body = { query: 'mutation { pay(amount: 5) }' };
    const first = await post(body, { 'Idempotency-Key': '"k-503"' });
    expect(first.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const retry = await post(body, { 'Idempotency-Key': '"k-503"' });
    expect(runs).toBe(2);
    expect(retry.body.data).toEqual({ pay: 2 });
  });

  it('control: the same error without a path frees the key', async () => {
    let runs = 0;
    const { post } = await yogaServer(
      `type Query { ok: Boolean! } type Mutation { pay(amount: Int!): Int! }`,
      {
        Query: { ok: () => true },
        Mutation: {
          pay: () => {
            runs++;
            if (runs === 1)
              throw new GraphQLError('ledger service unavailable', {
                extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
              });
            return runs;
          },
        },
      },
    );
    const body = { query: 'mutation { pay(amount: 5) }' };
    await post(body, { 'Idempotency-Key': '"k-503b"' });
    const retry = await post(body, { 'Idempotency-Key': '"k-503b"' });
    expect(runs).toBe(2);
    expect(retry.body.data).toEqual({ pay: 2 });
  });
});
