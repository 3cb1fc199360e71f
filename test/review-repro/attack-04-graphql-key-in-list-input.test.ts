/**
 * Attack 04: the key is sent in the `idempotencyKey` field of an input object, but the argument is a
 * list of input objects (`createPayments(inputs: [PaymentInput!]!)`, a common batch mutation shape).
 * Promise: a keyed request is never run as if unkeyed: it runs once per key, or is refused loudly.
 */
import { describe, expect, it } from 'vitest';
import { yogaServer } from './yoga-support.js';

describe('attack 04: key inside a list of input objects', () => {
  it('the same keyed request twice runs once, or is refused', async () => {
    let runs = 0;
    const { post } = await yogaServer(
      /* GraphQL */ `
        type Query { ok: Boolean! }
        input PaymentInput { amount: Int!, idempotencyKey: String! }
        type Mutation { createPayments(inputs: [PaymentInput!]!): Int! }
      `,
      { Query: { ok: () => true }, Mutation: { createPayments: () => ++runs } },
    );
    const body = { query: 'mutation { createPayments(inputs: [{ amount: 5, idempotencyKey: "k-1" }]) }' };
    const first = await post(body);
    const second = await post(body);
    if (first.body.errors) {
      expect(runs).toBe(0);
      return;
    }
    expect(second.body.data).toEqual(first.body.data);
    expect(runs).toBe(1);
  });
});
