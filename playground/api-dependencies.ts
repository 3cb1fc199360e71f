import type { IdempotencyStore } from '../src/core/store.js';
import type { Charge, InstanceName, LedgerAccess } from './ledger.js';

/** What the payment APIs (GraphQL and tRPC) of one app instance are built from. */
export interface PaymentApiDependencies {
  /** Which instance serves them; the ledger records it with every write. */
  instance: InstanceName;
  ledger: LedgerAccess;
  /** The idempotency store of the protected APIs, shared by both instances. */
  store: IdempotencyStore;
  /** The library's `lease`, in milliseconds. */
  leaseMs: number;
  /** The library's `concurrent: { wait }` of the waiting variant, in milliseconds. */
  waitMs: number;
  /**
   * Runs after each charge is written, before the answer; instance A never comes back from it.
   * `inTransaction` when the charge waits in the run's store transaction (PostgreSQL), uncommitted.
   */
  afterCharge?: (charge: Charge, write: { inTransaction: boolean }) => Promise<void>;
}

/**
 * How a payment request is served: `protected` by the library (a concurrent repeat gets 409),
 * `waiting` (protected, a concurrent repeat waits and replays), or `unprotected` (no library: every
 * request runs the mutation).
 */
export type ApiVariant = 'protected' | 'waiting' | 'unprotected';

/** The variant the page's switches ask for. */
export function variantOf(settings: { idempotency: boolean; wait: boolean }): ApiVariant {
  if (!settings.idempotency) return 'unprotected';
  return settings.wait ? 'waiting' : 'protected';
}

/** One payment API (GraphQL or tRPC) of one instance, as a fetch handler of each variant. */
export type PaymentApi = (request: Request, variant: ApiVariant) => Promise<Response>;

/** Both payment APIs of one instance. */
export interface PaymentApis {
  graphql: PaymentApi;
  trpc: PaymentApi;
}
