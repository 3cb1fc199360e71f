/**
 * A `getKey` that returns a value that is not a string (a number from client-controlled connection
 * params or body fields) is a malformed key in Yoga too: 400, nothing runs; an array is read as a
 * repeated header. A key argument where the plugin does not read it (a nested field, a list of input
 * objects) is refused, never dropped. Origin: issue #18, December 2026.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { describe, expect, it } from 'vitest';
import { post, startYoga } from '../../support/servers/yoga.js';

interface Context {
  request: Request;
}

/** A Yoga app through the harness (in-process, real Redis, no scope) whose key is what `getKey` returns. */
async function yogaWithKey(getKey: (context: Context) => unknown) {
  const runs = { pay: 0 };
  const server = await startYoga({
    label: 'envelop-carriers',
    typeDefs: /* GraphQL */ `
      type Query {
        ping: String!
      }
      type Mutation {
        pay(amount: Int!): Int!
      }
    `,
    resolvers: { Query: { ping: () => 'pong' }, Mutation: { pay: () => ++runs.pay } },
    idempotency: { scope: false, getKey: getKey as never },
  });
  const pay = async () => {
    const { status, json } = await post(server, { query: 'mutation { pay(amount: 5) }' }, { 'x-client-key': '12345' });
    return { status, body: json };
  };
  return { pay, runs };
}

describe('a getKey value that is not a string', () => {
  it.each([
    ['a number (client-controlled)', ({ request }: Context) => Number(request.headers.get('x-client-key'))],
    ['an array-like object', () => ({ 0: 'k', length: 1 })],
    ['a boolean', () => true],
  ])('%s is a malformed key: 400 IDEMPOTENCY_KEY_INVALID, nothing runs', async (_, getKey) => {
    const { pay, runs } = await yogaWithKey(getKey);
    const first = await pay();
    const retry = await pay();

    for (const answer of [first, retry]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    }
    expect(runs.pay).toBe(0);
  });

  it('an empty array is a malformed key: 400 IDEMPOTENCY_KEY_INVALID, nothing runs', async () => {
    const { pay, runs } = await yogaWithKey(() => []);
    for (const answer of [await pay(), await pay()]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    }
    expect(runs.pay).toBe(0);
  });

  it("an array of one string is read as a header sent once: ['k'] is the key k, the mutation runs once", async () => {
    const { pay, runs } = await yogaWithKey(() => ['k-arr']);
    const answers = [await pay(), await pay()];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers.map((answer) => answer.body.errors)).toEqual([undefined, undefined]);
    expect(runs.pay).toBe(1);
  });

  it('`undefined` and `null` carry no key: the mutation runs unkeyed', async () => {
    for (const getKey of [() => undefined, () => null]) {
      const { pay, runs } = await yogaWithKey(getKey);
      expect((await pay()).status).toBe(200);
      expect(runs.pay).toBe(1);
    }
  });
});

/** A Yoga app through the harness (in-process, real Redis, no scope) on `typeDefs`; `mutate` posts a document. */
async function yogaOn(typeDefs: string, resolvers: Record<string, unknown>) {
  const server = await startYoga({ label: 'envelop-misplaced', typeDefs, resolvers, idempotency: { scope: false } });
  return async (query: string, variables?: Record<string, unknown>) => {
    const { status, json } = await post(server, { query, variables });
    return { status, body: json };
  };
}

describe('a key argument where it is not read is refused, never dropped', () => {
  const listTypeDefs = /* GraphQL */ `
    type Query {
      ok: Boolean!
    }
    input PaymentInput {
      amount: Int!
      idempotencyKey: String
    }
    input Order {
      payment: PaymentInput!
    }
    type Mutation {
      createPayments(inputs: [PaymentInput!]!): Int!
      createPayment(input: PaymentInput!): Int!
      placeOrder(order: Order!): Int!
    }
  `;
  async function payments() {
    const runs = { count: 0 };
    const mutate = await yogaOn(listTypeDefs, {
      Query: { ok: () => true },
      Mutation: {
        createPayments: () => ++runs.count,
        createPayment: () => ++runs.count,
        placeOrder: () => ++runs.count,
      },
    });
    return { runs, mutate };
  }

  it.each([
    [
      'a list of input objects (literal)',
      'mutation { createPayments(inputs: [{ amount: 5, idempotencyKey: "k-1" }]) }',
      undefined,
    ],
    [
      'a list of input objects (variables)',
      'mutation ($inputs: [PaymentInput!]!) { createPayments(inputs: $inputs) }',
      {
        inputs: [
          { amount: 5, idempotencyKey: 'k-2' },
          { amount: 6, idempotencyKey: 'k-3' },
        ],
      },
    ],
    [
      'an input object inside another',
      'mutation { placeOrder(order: { payment: { amount: 5, idempotencyKey: "k-4" } }) }',
      undefined,
    ],
  ])('%s: 400 IDEMPOTENCY_KEY_INVALID naming where the key belongs, nothing runs', async (_, query, variables) => {
    const { runs, mutate } = await payments();
    for (const answer of [await mutate(query, variables), await mutate(query, variables)]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
      expect(answer.body.errors?.[0]?.message).toMatch(/root mutation field's "idempotencyKey" argument/);
    }
    expect(runs.count).toBe(0);
  });

  it('the same key in a top-level input object is read: runs once; a list without keys runs unkeyed', async () => {
    const { runs, mutate } = await payments();
    const keyed = 'mutation { createPayment(input: { amount: 5, idempotencyKey: "k-top" }) }';
    expect([(await mutate(keyed)).body.data, (await mutate(keyed)).body.data]).toEqual([
      { createPayment: 1 },
      { createPayment: 1 },
    ]);
    const unkeyed = 'mutation { createPayments(inputs: [{ amount: 5 }]) }';
    expect([(await mutate(unkeyed)).body.data, (await mutate(unkeyed)).body.data]).toEqual([
      { createPayments: 2 },
      { createPayments: 3 },
    ]);
    expect(runs.count).toBe(3);
  });

  it('a key argument on a nested (namespaced) mutation field: 400 IDEMPOTENCY_KEY_INVALID, nothing runs', async () => {
    let runs = 0;
    const mutate = await yogaOn(
      /* GraphQL */ `
        type Query {
          ok: Boolean!
        }
        type BillingMutations {
          charge(amount: Int!, idempotencyKey: String): Int!
        }
        type Mutation {
          billing: BillingMutations!
        }
      `,
      { Query: { ok: () => true }, Mutation: { billing: () => ({}) }, BillingMutations: { charge: () => ++runs } },
    );
    const query = 'mutation { billing { ... on BillingMutations { charge(amount: 5, idempotencyKey: "k-ns") } } }';
    for (const answer of [await mutate(query), await mutate(query)]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
      expect(answer.body.errors?.[0]?.message).toMatch(/BillingMutations\.charge/);
    }
    expect(runs).toBe(0);
    // The nested argument left out (or null): nothing is misplaced, the mutation runs unkeyed.
    expect((await mutate('mutation { billing { charge(amount: 5, idempotencyKey: null) } }')).body.data).toEqual({
      billing: { charge: 1 },
    });
  });
});
