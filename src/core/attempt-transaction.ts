import { IdempotencyTransactionUnavailableError, type TransactionUnavailableReason } from './errors.js';
import type { IdempotencyStore, OwnerRequest, StoreTransaction } from './store.js';

/** The database transaction of one attempt, opened by the body's first `ctx.idempotency.tx()`. */
export interface AttemptTransaction {
  /** What `ctx.idempotency.tx()` calls: opens the store's transaction on the first call, answers the same one after. */
  tx(): Promise<unknown>;
  /**
   * Ends the body's access (a later `tx()` rejects) and resolves with the transaction the body
   * opened, once its opening settled; `undefined` when its opening failed. Answers `undefined` at
   * once, no promise, when none was opened.
   */
  close(): Promise<StoreTransaction | undefined> | undefined;
}

/**
 * The transaction of an attempt on `store`: for `record` (the attempt's owner request), one whose
 * commit stores the result; without, a plain one (an unkeyed call). A store without
 * `openTransaction` refuses `tx()` with the error naming the fix.
 */
export function attemptTransaction(store: IdempotencyStore, record?: OwnerRequest): AttemptTransaction {
  let opening: Promise<StoreTransaction> | undefined;
  let closed = false;
  return {
    tx() {
      if (closed) return refuse('ended');
      if (!store.openTransaction) return refuse('unsupported-store');
      opening ??= store.openTransaction(record);
      return opening.then((transaction) => transaction.client);
    },
    close() {
      closed = true;
      return opening?.catch(() => undefined);
    },
  };
}

/** A `tx()` that always refuses, for `reason`. */
export function refusedTransaction(reason: TransactionUnavailableReason): () => Promise<never> {
  return () => refuse(reason);
}

function refuse(reason: TransactionUnavailableReason): Promise<never> {
  return Promise.reject(new IdempotencyTransactionUnavailableError(reason));
}
