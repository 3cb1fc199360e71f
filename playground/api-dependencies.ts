import type { IdempotencyEventHandler } from '../src/core/events.js';
import type { IdempotencyStore } from '../src/core/store.js';
import type { Ledger } from './ledger.js';

/** What both payment APIs (GraphQL and tRPC) are built from. */
export interface PaymentApiDependencies {
  ledger: Ledger;
  /** The idempotency store of the protected APIs. */
  store: IdempotencyStore;
  /** Receives the library's idempotency events (the playground counts replays with it). */
  onEvent: IdempotencyEventHandler;
}

/** A payment API as a fetch handler: a protected variant and an unprotected twin with the same schema. */
export interface PaymentApi {
  /** Runs each mutation once per idempotency key; retries get the stored result. */
  protected: (request: Request) => Promise<Response>;
  /** The same API without the library: every request runs the mutation. */
  unprotected: (request: Request) => Promise<Response>;
}
