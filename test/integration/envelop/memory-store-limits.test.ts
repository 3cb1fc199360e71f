/**
 * The memory store's quotas. `maxRecordsPerScope` exists "so one caller cannot fill the
 * store for the others"; bytes had no per-scope bound until `maxBytesPerScope`.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { asSfString as as, codes, post, startYoga } from '../../support/servers/yoga.js';

describe('one caller fills the memory store’s maxBytes with large stored results', () => {
  it('another user’s new key is still accepted (one caller cannot fill the store for the others)', async () => {
    let runs = 0;
    const store = createMemoryStore(); // defaults: 10 000 records, 1 000 per scope, 64 MiB, 8 MiB per scope
    const server = await startYoga({
      typeDefs: /* GraphQL */ `
        type Query {
          ok: Boolean
        }
        type Mutation {
          export(size: Int!): String!
        }
      `,
      resolvers: { Mutation: { export: (_: unknown, { size }: { size: number }) => (runs++, 'x'.repeat(size)) } },
      idempotency: { store },
    });
    // Keyed requests by one user, each result just under maxResultBytes (1 MiB).
    let refusedAt = -1;
    for (let i = 0; i < 80 && refusedAt < 0; i++) {
      const response = await post(server, { query: 'mutation { export(size: 1040000) }' }, as('mallory', `m-${i}`));
      if (response.status === 503) refusedAt = i;
    }
    // Her 8 MiB (maxBytesPerScope) are full after 9 such results (a new key is admitted while she is under it):
    // the 10th key is refused, and the store is far from its 64 MiB.
    expect(refusedAt).toBe(9);
    expect(store.bytes).toBeLessThan(10 * 1_048_576);
    // Alice, another user, sends her first payment of the day.
    const alice = await post(server, { query: 'mutation { export(size: 10) }' }, as('alice', 'a-1'));
    expect({ status: alice.status, codes: codes(alice.json) }).toEqual({ status: 200, codes: undefined });
    expect(runs).toBe(9 + 1);
  });
});
