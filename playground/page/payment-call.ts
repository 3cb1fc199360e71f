import type { ChargeRequest } from '../ledger.js';

/** How one payment call is sent. */
export interface PaymentCall {
  request: ChargeRequest;
  /** The idempotency key to send; without one the client helper mints a key for the call. */
  key?: string;
  /** `''` for instance B, `'/cluster'` for the load balancer in front of instances A and B. */
  base: string;
  /** The `fetch` the client helper sends each attempt with. */
  fetchImpl: typeof fetch;
}

/** What a paid call got back. */
export interface PaidCharge {
  id: string;
  fence: number | null;
}

/** A payment the server refused (422, an exhausted 409, …): the error's message, its code and HTTP status where known. */
export class PaymentError extends Error {
  override name = 'PaymentError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** How one call ended. */
export type CallResult = { ok: true; charge: PaidCharge } | { ok: false; error: unknown };
