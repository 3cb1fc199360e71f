import { createTRPCClient, httpLink, retryLink, TRPCClientError } from '@trpc/client';
import { idempotencyHeaders, idempotencyLink } from '../../src/client/link.js';
import type { PaymentsRouter } from '../trpc-api.js';
import { PaymentError, type PaidCharge, type PaymentCall } from './payment-call.js';
import { MAX_ATTEMPTS, trpcRetryDelayMs } from './retry-policy.js';

/**
 * Pays through tRPC: `idempotencyLink` gives the mutation one key (or keeps the one the call brings
 * in its context), `retryLink` re-sends the same operation (so the same key) after a lost response,
 * a 409 or a 5xx, `httpLink` sends the key as a header.
 */
export async function payWithTrpc({ request, key, base, fetchImpl }: PaymentCall): Promise<PaidCharge> {
  let afterConflict = false;
  const client = createTRPCClient<PaymentsRouter>({
    links: [
      idempotencyLink(),
      retryLink({
        retry: ({ error, attempts }) => {
          const status = error.data?.httpStatus;
          afterConflict = status === 409;
          return attempts < MAX_ATTEMPTS && (status === undefined || status === 409 || status >= 500);
        },
        retryDelayMs: (attempt) => trpcRetryDelayMs(attempt, afterConflict),
      }),
      httpLink({ url: `${base}/trpc`, fetch: fetchImpl, headers: ({ op }) => idempotencyHeaders({ op }) }),
    ],
  });
  try {
    const charge = await client.payments.create.mutate(
      request,
      key === undefined ? undefined : { context: { idempotencyKey: key } },
    );
    return { id: charge.id, fence: charge.fence };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { code?: string; httpStatus?: number; idempotency?: { code: string } } | undefined;
    throw new PaymentError(error.message, data?.idempotency?.code ?? data?.code, data?.httpStatus);
  }
}
