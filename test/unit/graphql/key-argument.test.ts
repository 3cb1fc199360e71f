/**
 * findKeyArgument reads the key from a root mutation field's argument or a top-level input object
 * field, and refuses (IDEMPOTENCY_KEY_INVALID) a key argument anywhere else in the operation, through
 * fragments and variables, instead of dropping it.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { IdempotencyKeyInvalidError } from '../../../src/core/errors.js';
import { findKeyArgument } from '../../../src/graphql/key-argument.js';
import { findMutation } from '../../../src/graphql/mutation.js';
import { coerceVariables } from '../../../src/graphql/variables.js';

const schema = buildSchema(/* GraphQL */ `
  type Query {
    ok: Boolean
  }
  input PaymentInput {
    amount: Int!
    idempotencyKey: String
  }
  input Order {
    payment: PaymentInput
  }
  type Billing {
    charge(amount: Int!, idempotencyKey: String): Int
  }
  type Mutation {
    pay(amount: Int!, idempotencyKey: String): Int
    createPayment(input: PaymentInput!): Int
    createPayments(inputs: [PaymentInput!]!): Int
    placeOrder(order: Order!): Int
    billing: Billing
  }
`);

function keyOf(query: string, variables: Record<string, unknown> = {}): unknown {
  const document = parse(query);
  const mutation = findMutation(document)!;
  return findKeyArgument(schema, mutation, coerceVariables(schema, mutation.definition, variables), 'idempotencyKey');
}

describe('findKeyArgument', () => {
  it('reads the root argument and a top-level input object field, variables applied', () => {
    expect(keyOf('mutation { pay(amount: 1, idempotencyKey: "a") }')).toBe('a');
    expect(
      keyOf('mutation ($i: PaymentInput!) { createPayment(input: $i) }', { i: { amount: 1, idempotencyKey: 'b' } }),
    ).toBe('b');
  });

  it.each([
    ['a list of input objects', 'mutation { createPayments(inputs: [{ amount: 1, idempotencyKey: "c" }]) }', {}],
    [
      'a list through a variable',
      'mutation ($l: [PaymentInput!]!) { createPayments(inputs: $l) }',
      { l: { amount: 1, idempotencyKey: 'd' } },
    ],
    [
      'an input object inside another',
      'mutation ($o: Order!) { placeOrder(order: $o) }',
      { o: { payment: { amount: 1, idempotencyKey: 'e' } } },
    ],
    ['a nested field', 'mutation { billing { charge(amount: 1, idempotencyKey: "f") } }', {}],
    [
      'a nested field in a fragment',
      'mutation { ...M } fragment M on Mutation { billing { ...B } } fragment B on Billing { charge(amount: 1, idempotencyKey: "g") }',
      {},
    ],
  ])('refuses a key in %s', (_, query, variables) => {
    expect(() => keyOf(query, variables)).toThrow(IdempotencyKeyInvalidError);
  });

  it('a null or absent key where it is not read is no key: nothing to refuse', () => {
    expect(keyOf('mutation ($k: String) { billing { charge(amount: 1, idempotencyKey: $k) } }')).toBeUndefined();
    expect(keyOf('mutation { createPayments(inputs: [{ amount: 1, idempotencyKey: null }]) }')).toBeUndefined();
  });
});
