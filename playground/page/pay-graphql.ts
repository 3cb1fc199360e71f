import { createIdempotentFetch } from '../../src/client/fetch.js';
import type { ChargeRequest } from '../ledger.js';
import { MAX_ATTEMPTS, RETRY_BASE_DELAY_MS } from './retry-policy.js';

const CREATE_CHARGE = /* GraphQL */ `
  mutation CreateCharge($amountCents: Int!, $description: String!) {
    createCharge(amountCents: $amountCents, description: $description) {
      id
    }
  }
`;

interface CreateChargeResult {
  data?: { createCharge: { id: string } } | null;
  errors?: { message: string }[];
}

/**
 * Pays through GraphQL: `createIdempotentFetch` gives the mutation request one key and re-sends
 * it, with that same key, after a lost response, a 409 or a 5xx.
 */
export async function payWithGraphql(request: ChargeRequest, fetchImpl: typeof fetch): Promise<{ id: string }> {
  const idempotentFetch = createIdempotentFetch(fetchImpl, { retries: MAX_ATTEMPTS - 1, baseDelay: RETRY_BASE_DELAY_MS });
  const response = await idempotentFetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: CREATE_CHARGE, variables: request }),
  });
  const result = (await response.json()) as CreateChargeResult;
  if (!result.data?.createCharge) throw new Error(result.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return result.data.createCharge;
}
