/**
 * A `getKey` that returns a value that is not a string (a number from client-controlled connection
 * params or body fields) is a malformed key in Yoga too: 400, nothing runs. Origin: issue #18, December 2026.
 */
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useIdempotency } from '../../../src/envelop/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

interface Context {
  request: Request;
}

function yogaWithKey(getKey: (context: Context) => unknown) {
  const runs = { pay: 0 };
  const schema = createSchema<Context>({
    typeDefs: /* GraphQL */ `
      type Query {
        ping: String!
      }
      type Mutation {
        pay(amount: Int!): Int!
      }
    `,
    resolvers: {
      Query: { ping: () => 'pong' },
      Mutation: { pay: () => ++runs.pay },
    },
  });
  const yoga = createYoga<Context>({
    schema,
    plugins: [
      useIdempotency<Context>({
        store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('envelop-carriers') }),
        scope: false,
        getKey: getKey as never,
      }),
    ],
  });
  const pay = async () => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-client-key': '12345' },
      body: JSON.stringify({ query: 'mutation { pay(amount: 5) }' }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] },
    };
  };
  return { pay, runs };
}

describe('a getKey value that is not a string', () => {
  it.each([
    ['a number (client-controlled)', ({ request }: Context) => Number(request.headers.get('x-client-key'))],
    ['an array-like object', () => ({ 0: 'k', length: 1 })],
    ['a boolean', () => true],
  ])('%s is a malformed key: 400 IDEMPOTENCY_KEY_INVALID, nothing runs', async (_, getKey) => {
    const { pay, runs } = yogaWithKey(getKey);
    const first = await pay();
    const retry = await pay();

    for (const answer of [first, retry]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    }
    expect(runs.pay).toBe(0);
  });

  it('`undefined` and `null` carry no key: the mutation runs unkeyed', async () => {
    for (const getKey of [() => undefined, () => null]) {
      const { pay, runs } = yogaWithKey(getKey);
      expect((await pay()).status).toBe(200);
      expect(runs.pay).toBe(1);
    }
  });
});
