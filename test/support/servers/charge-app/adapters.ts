import { expect } from 'vitest';
import { callTrpc, CHARGE_MUTATION, postGraphQL, type Seen } from './clients.js';
import type { ServerProcess } from './spawn.js';

/** One adapter as the multi-process tests drive it: how to send a charge and read the answer. */
export interface AdapterUnderTest {
  name: string;
  /** The ledger's operation label (see `runsField`). */
  operation: string;
  /** Sends one charge to `server` with `key` in the Idempotency-Key header. */
  charge(
    server: Pick<ServerProcess, 'graphqlUrl' | 'trpcUrl'>,
    key: string,
    input: { amount: number; waitForGate?: boolean },
  ): Promise<Seen<unknown>>;
  /** The charge in a 200 answer, as the client decoded it; `undefined` otherwise. */
  chargeOf(seen: Seen<unknown>): Record<string, unknown> | undefined;
  /** The body of a 409, exactly. */
  conflictBody: unknown;
}

export const graphqlAdapter: AdapterUnderTest = {
  name: 'GraphQL Yoga',
  operation: 'graphql:charge',
  charge: (server, key, variables) => postGraphQL(server.graphqlUrl, { query: CHARGE_MUTATION, variables }, key),
  chargeOf: (seen) => (seen.body as { data?: { charge?: Record<string, unknown> } }).data?.charge,
  conflictBody: {
    errors: [{ message: expect.any(String) as unknown, extensions: { code: 'IDEMPOTENCY_CONCURRENT_REQUEST' } }],
  },
};

export const trpcAdapter: AdapterUnderTest = {
  name: 'tRPC',
  operation: 'trpc:charge',
  charge: (server, key, input) => callTrpc(server.trpcUrl, 'charge', input, key),
  chargeOf: (seen) => {
    const body = seen.body as { ok: boolean; data?: Record<string, unknown> };
    return body.ok ? body.data : undefined;
  },
  conflictBody: { ok: false, code: 'CONFLICT', idempotencyCode: 'IDEMPOTENCY_CONCURRENT_REQUEST' },
};

export const adapters = [graphqlAdapter, trpcAdapter];
