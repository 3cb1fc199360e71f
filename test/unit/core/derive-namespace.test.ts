/**
 * `derive(name)` includes the store namespace (a Redis store's prefix), so a GraphQL field and a tRPC
 * path of the same name, kept apart by two prefixes as docs/semantics.md recommends, never hand a
 * provider the same key. Origin: issue #18, December 2026.
 */
import { describe, expect, it } from 'vitest';
import { recordId } from '../../../src/core/hashing.js';
import { recordedRunContext } from '../../../src/core/run-context.js';

const id = recordId('alice', 'createCharge', 'k-1');

describe('derive', () => {
  it('differs between two namespaces for the same record id', () => {
    const graphql = recordedRunContext('k-1', id, 1, false, 'gql:');
    const trpc = recordedRunContext('k-1', id, 1, false, 'trpc:');
    expect(graphql.derive('stripe-charge')).not.toBe(trpc.derive('stripe-charge'));
  });

  it('is stable across attempts (fences, takeover) of one record in one namespace', () => {
    const first = recordedRunContext('k-1', id, 1, false, 'trpc:');
    const takenOver = recordedRunContext('k-1', id, 2, true, 'trpc:');
    expect(takenOver.derive('stripe-charge')).toBe(first.derive('stripe-charge'));
  });

  it('without a namespace, keeps the derived keys it always gave', () => {
    expect(recordedRunContext('k-1', id, 1, false).derive('x')).toBe(
      recordedRunContext('k-1', id, 7, true, '').derive('x'),
    );
  });
});
