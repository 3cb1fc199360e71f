import { createIdempotentFetch } from '../../src/client/fetch.js';
import { formatKeyHeader } from '../../src/core/client-key.js';
import { PaymentError, type PaidCharge, type PaymentCall } from './payment-call.js';
import { MAX_ATTEMPTS, RETRY_BASE_DELAY_MS } from './retry-policy.js';

const CREATE_CHARGE = /* GraphQL */ `
  mutation CreateCharge($amountCents: Int!, $description: String!) {
    createCharge(amountCents: $amountCents, description: $description) {
      id
      fence
    }
  }
`;

interface CreateChargeResult {
  data?: { createCharge: PaidCharge } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Pays through GraphQL: `createIdempotentFetch` gives the mutation request one key (or keeps the
 * one the call brings) and re-sends it, with that same key, after a lost response, a 409 (honouring
 * `Retry-After`) or a 5xx.
 */
export async function payWithGraphql({ request, key, base, fetchImpl }: PaymentCall): Promise<PaidCharge> {
  const idempotentFetch = createIdempotentFetch(fetchImpl, {
    retries: MAX_ATTEMPTS - 1,
    baseDelay: RETRY_BASE_DELAY_MS,
  });
  const response = await idempotentFetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'Idempotency-Key': formatKeyHeader(key) }),
    },
    body: JSON.stringify({ query: CREATE_CHARGE, variables: request }),
  });
  const result = (await response.json()) as CreateChargeResult;
  if (result.data?.createCharge) return result.data.createCharge;
  const [error] = result.errors ?? [];
  throw new PaymentError(error?.message ?? `HTTP ${response.status}`, error?.extensions?.code, response.status);
}
