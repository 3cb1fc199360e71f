import { AsyncLocalStorage } from 'node:async_hooks';
import type { BodyPart } from './attempt.js';
import { IdempotencyTransactionUnavailableError, type TransactionUnavailableReason } from './errors.js';
import type { IdempotencyStore, OwnerRequest, StoreTransaction, TransactionSavepoint } from './store.js';

/** The database transaction of one attempt, opened by the body's first `ctx.idempotency.tx()`. */
export interface AttemptTransaction {
  /** What `ctx.idempotency.tx()` calls: opens the store's transaction on the first call, answers the same one after. */
  tx(): Promise<unknown>;
  /** Starts one part of the body (see `RunningAttempt.startPart`). */
  startPart(): BodyPart;
  /**
   * Ends the body's access (a later `tx()`, and every statement sent through the client, is
   * refused) and resolves with the transaction the body opened, once its opening and the parts'
   * savepoints settled; `undefined` when its opening failed. Answers `undefined` at once, no
   * promise, when none was opened. Where a part's writes could not be rolled back alone, the
   * transaction's `commit` rolls everything back and rejects instead.
   */
  close(): Promise<StoreTransaction | undefined> | undefined;
}

/** A part of the body (see `RunningAttempt.startPart`), of the attempt `of`. */
interface Part {
  of: object;
  settled: boolean;
  failed: boolean;
  /** Its savepoint, where the transaction was open while it ran and the store sets savepoints. */
  savepoint?: TransactionSavepoint;
  /** Whether the transaction was open while it ran (its writes may need rolling back). */
  inTransaction: boolean;
}

/**
 * The part whose code runs now, as Node's async context carries it: set by `startPart` for the code
 * that called it and everything that code starts (a root resolver, its child fields, a timer it set).
 */
const runningPart = new AsyncLocalStorage<Part>();

/**
 * The transaction of an attempt on `store`: for `record` (the attempt's owner request), one whose
 * commit stores the result; without, a plain one (an unkeyed call). A store without
 * `openTransaction` refuses `tx()` with the error naming the fix.
 *
 * Parts: each statement the body sends through the client counts for the part whose code sends it
 * (its async context), and runs only while that part is the latest one and has not thrown; a
 * statement sent by code of no part once parts started is refused too (which part it belongs to
 * cannot be told). The savepoint of a part is put in line on the transaction's connection
 * synchronously in `startPart` (or as the transaction opens), so every statement of a part runs
 * after its savepoint and before the next part's. The rollback of a part that threw goes with the
 * next part's savepoint, in its round trip (or before the commit, in `close`): no statement can come
 * between, since the part's own are refused from `threw` on.
 */
export function attemptTransaction(store: IdempotencyStore, record?: OwnerRequest): AttemptTransaction {
  const self = {};
  let opening: Promise<StoreTransaction> | undefined;
  /** The transaction, once open. */
  let open: StoreTransaction | undefined;
  let closed = false;
  let current: Part | undefined;
  /** The library's own statements on the transaction (savepoints, rollbacks to them); never rejects. */
  let steps: Promise<unknown> = Promise.resolve();
  /** Why nothing may commit: a part failed whose writes could not be rolled back alone. */
  let doomed: Error | undefined;
  /** Whether the transaction opened before any part started: its first writes belong to no part. */
  let unattributed = false;
  /** The savepoint of the part that threw, to roll back to with the next savepoint (or in `close`). */
  let rollBackTo: TransactionSavepoint | undefined;

  /** Why the code running now may not use the transaction, if it may not. */
  function refusal(): Error | undefined {
    if (closed) return new IdempotencyTransactionUnavailableError('ended');
    // Parts are tracked only where the store has transactions (see startPart).
    if (!current || !store.openTransaction) return undefined;
    const part = runningPart.getStore();
    if (part?.of !== self) return new IdempotencyTransactionUnavailableError('outside-root-field');
    return part === current && !part.failed ? undefined : new IdempotencyTransactionUnavailableError('ended');
  }

  /** Waits for one of the library's statements before the transaction is handed back; dooms it when `failure` says so. */
  function follow(statement: Promise<unknown>, failure?: string): void {
    const done = statement.then(
      () => undefined,
      (error: unknown) => {
        if (failure) doomed ??= new Error(failure, { cause: error });
      },
    );
    steps = Promise.all([steps, done]);
  }

  /**
   * Sets `part`'s savepoint on the open transaction, now: before any statement sent after this call.
   * No savepoint (the store sets none, or failed to): should the part throw, nothing commits.
   */
  function mark(part: Part, opened: StoreTransaction): void {
    part.inTransaction = true;
    const back = rollBackTo;
    rollBackTo = undefined;
    try {
      part.savepoint = opened.savepoint?.(back);
    } catch (error) {
      if (back) doomed ??= new Error(NOT_ROLLED_BACK, { cause: error });
      return;
    }
    if (part.savepoint) follow(part.savepoint.set, back && NOT_ROLLED_BACK);
  }

  return {
    tx() {
      const refused = refusal();
      if (refused) return Promise.reject(refused);
      if (!store.openTransaction) return refuse('unsupported-store');
      if (!opening) {
        // The part that opens the transaction has its savepoint set in the opening round trip.
        const opener = current;
        opening = store.openTransaction(record, { refusal, ...(opener && { savepoint: true }) });
        if (!opener) unattributed = true;
        // First in line on `opening`: the running part's savepoint is set before the body gets the client.
        opening.then(
          (opened) => {
            open = opened;
            if (!current || current.settled || closed) return;
            if (current === opener && opened.openingSavepoint) {
              current.inTransaction = true;
              current.savepoint = opened.openingSavepoint;
              follow(current.savepoint.set);
            } else mark(current, opened);
          },
          () => {},
        );
      }
      // Handed out once the library's statements settled: correct without (each is in line before
      // any later statement), but the body's statements then seldom wait in pg's queue behind them.
      return opening.then((opened) => steps.then(() => opened.client));
    },
    startPart() {
      const part: Part = { of: self, settled: false, failed: false, inTransaction: false };
      if (current && !current.settled)
        doomed ??= new Error(
          'The root fields of this mutation ran at the same time, so the writes of the one that failed could not be rolled back alone: nothing was committed.',
        );
      current = part;
      if (open && !closed) mark(part, open);
      // Only a store with transactions has statements to attribute (and async context costs on Node 22).
      if (store.openTransaction) runningPart.enterWith(part);
      return {
        returned() {
          part.settled = true;
        },
        threw() {
          part.settled = true;
          part.failed = true;
          if (unattributed) {
            doomed ??= new Error(
              'A root field of this mutation failed, and the writes made before the root fields were seen to start cannot be told apart: nothing was committed.',
            );
            return;
          }
          if (!part.inTransaction || closed) return; // no transaction while it ran: nothing of it to roll back
          if (part.savepoint) rollBackTo = part.savepoint;
          else doomed ??= new Error(NOT_ROLLED_BACK);
        },
      };
    },
    close() {
      closed = true;
      if (rollBackTo) follow(rollBackTo.rollback(), NOT_ROLLED_BACK);
      rollBackTo = undefined;
      return opening && settled(opening);
    },
  };

  /** The transaction once `opening` and the library's statements settled; a doomed one's commit refuses. */
  async function settled(opening: Promise<StoreTransaction>): Promise<StoreTransaction | undefined> {
    const opened = await opening.catch(() => undefined);
    await steps;
    if (!opened || !doomed) return opened;
    const reason = doomed;
    return {
      client: opened.client,
      release: () => opened.release(),
      rollback: () => opened.rollback(),
      async commit() {
        await opened.rollback();
        throw reason;
      },
    };
  }
}

const NOT_ROLLED_BACK =
  'A root field of this mutation failed and its writes could not be rolled back alone: nothing was committed.';

/** A `tx()` that always refuses, for `reason`. */
export function refusedTransaction(reason: TransactionUnavailableReason): () => Promise<never> {
  return () => refuse(reason);
}

function refuse(reason: TransactionUnavailableReason): Promise<never> {
  return Promise.reject(new IdempotencyTransactionUnavailableError(reason));
}
