import { createTRPCClient, httpLink, retryLink } from '@trpc/client';
import { idempotencyHeaders, idempotencyLink } from '../../src/client/link.js';
import type { ChargeRequest } from '../ledger.js';
import type { PaymentsRouter } from '../trpc-api.js';
import { MAX_ATTEMPTS, retryDelayMs } from './retry-policy.js';

/**
 * Pays through tRPC: `idempotencyLink` gives the mutation one key, `retryLink` re-sends the same
 * operation (so the same key) after a lost response or a 409, `httpLink` sends the key as a header.
 */
export async function payWithTrpc(request: ChargeRequest, fetchImpl: typeof fetch): Promise<{ id: string }> {
  const client = createTRPCClient<PaymentsRouter>({
    links: [
      idempotencyLink(),
      retryLink({
        retry: ({ error, attempts }) => attempts < MAX_ATTEMPTS && (error.data === undefined || error.data?.httpStatus === 409),
        retryDelayMs,
      }),
      httpLink({ url: '/trpc', fetch: fetchImpl, headers: ({ op }) => idempotencyHeaders({ op }) }),
    ],
  });
  return client.payments.create.mutate(request);
}
