/**
 * Attack 11: namespaced mutations (`mutation { billing { charge(amount, idempotencyKey) } }`), a common
 * schema pattern. The client sends the key as the documented argument name, on the field that does the work.
 * A misplaced `@idempotent` is refused loudly; a misplaced key argument should not silently run unkeyed.
 */
import { describe, expect, it } from 'vitest';
import { yogaServer } from './yoga-support.js';

describe('attack 11: key argument on a namespaced (non-root) mutation field', () => {
  it('the same keyed request twice runs once, or is refused', async () => {
    let runs = 0;
    const { post } = await yogaServer(
      /* GraphQL */ `
        type Query { ok: Boolean! }
        type BillingMutations { charge(amount: Int!, idempotencyKey: String): Int! }
        type Mutation { billing: BillingMutations! }
      `,
      {
        Query: { ok: () => true },
        Mutation: { billing: () => ({}) },
        BillingMutations: { charge: () => ++runs },
      },
    );
    const body = { query: 'mutation { billing { charge(amount: 5, idempotencyKey: "k-ns") } }' };
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
