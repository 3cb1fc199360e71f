/**
 * What the GraphQL fingerprint does not see. The fingerprint is documented as "the operation
 * as executed"; an operation-level directive is part of the operation, and resolvers / plugins read it.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { describe, expect, it } from 'vitest';
import {
  asSfString as as,
  codes,
  dryRunPay,
  dryRunTypeDefs,
  post,
  startYogaUrl as startYoga,
} from '../../support/servers/yoga.js';

describe('an operation-level directive (mutation @dryRun { … }) is in the fingerprint', () => {
  it('a dry run and a real charge under one key are two different requests: the second is 422, never the dry run replayed as the charge', async () => {
    let charges = 0;
    let runs = 0;
    const url = await startYoga({
      label: 'op-directive',
      typeDefs: dryRunTypeDefs,
      resolvers: {
        Mutation: {
          pay: dryRunPay((dryRun) => {
            runs++;
            if (!dryRun) charges++;
          }),
        },
      },
    });
    // The client previews the charge, then sends the real one. (Same key: a buggy client, or an
    // attacker-free mistake; the promise is 422 for "same key, different request".)
    const preview = await post(
      url,
      { query: 'mutation @dryRun { pay(amount: 500) { charged amount } }' },
      as('alice', 'k-1'),
    );
    expect(preview.json.data).toEqual({ pay: { charged: false, amount: 500 } });
    const real = await post(url, { query: 'mutation { pay(amount: 500) { charged amount } }' }, as('alice', 'k-1'));
    // Promise: same key + another request → 422 IDEMPOTENCY_KEY_PARAMETER_MISMATCH (nothing runs),
    // never the other request's result.
    expect({ status: real.status, codes: codes(real.json), replayed: real.headers.get('idempotent-replayed') }).toEqual(
      {
        status: 422,
        codes: ['IDEMPOTENCY_KEY_PARAMETER_MISMATCH'],
        replayed: null,
      },
    );
    expect(runs).toBe(1);
    expect(charges).toBe(0);
  });
});
