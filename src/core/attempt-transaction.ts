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

/** A part of the body: its savepoint, once the transaction is open while it runs. */
interface Part {
  settled: boolean;
  failed: boolean;
  savepoint?: Promise<TransactionSavepoint | undefined>;
}

/**
 * The transaction of an attempt on `store`: for `record` (the attempt's owner request), one whose
 * commit stores the result; without, a plain one (an unkeyed call). A store without
 * `openTransaction` refuses `tx()` with the error naming the fix.
 */
export function attemptTransaction(store: IdempotencyStore, record?: OwnerRequest): AttemptTransaction {
  let opening: Promise<StoreTransaction> | undefined;
  let closed = false;
  let current: Part | undefined;
  /** The library's own statements on the transaction (savepoints, rollbacks to them), in order; never rejects. */
  let steps: Promise<unknown> = Promise.resolve();
  /** Why nothing may commit: a part failed whose writes could not be rolled back alone. */
  let doomed: Error | undefined;
  /** Whether the transaction opened before any part started: its first writes belong to no part. */
  let unattributed = false;

  /** Whether the body's access ended: the attempt closed, or the running part threw. */
  const ended = () => closed || current?.failed === true;
  const refusal = () => (ended() ? new IdempotencyTransactionUnavailableError('ended') : undefined);

  /** Sets `part`'s savepoint on the transaction, after the library's earlier statements. */
  function mark(part: Part, transaction: Promise<StoreTransaction>): void {
    const savepoint = steps
      .then(() => transaction)
      .then((opened) => opened.savepoint?.())
      .catch(() => undefined);
    part.savepoint = savepoint;
    steps = savepoint;
  }

  return {
    tx() {
      if (ended()) return refuse('ended');
      if (!store.openTransaction) return refuse('unsupported-store');
      if (!opening) {
        opening = store.openTransaction(record, { refusal });
        if (!current) unattributed = true;
        else if (!current.settled) mark(current, opening);
      }
      // The client is handed out once the savepoint of the running part is set.
      return Promise.all([opening, steps]).then(([opened]) => opened.client);
    },
    startPart() {
      const part: Part = { settled: false, failed: false };
      if (current && !current.settled)
        doomed ??= new Error(
          'The root fields of this mutation ran at the same time, so the writes of the one that failed could not be rolled back alone: nothing was committed.',
        );
      current = part;
      if (opening) mark(part, opening);
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
          const { savepoint } = part;
          if (!savepoint) return; // no transaction while it ran: nothing of it to roll back
          steps = steps
            .then(async () => {
              const set = await savepoint;
              if (!set) throw new Error('no savepoint was set');
              await set.rollback();
            })
            .catch((error: unknown) => {
              doomed ??= new Error(
                'A root field of this mutation failed and its writes could not be rolled back alone: nothing was committed.',
                { cause: error },
              );
            });
        },
      };
    },
    close() {
      closed = true;
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

/** A `tx()` that always refuses, for `reason`. */
export function refusedTransaction(reason: TransactionUnavailableReason): () => Promise<never> {
  return () => refuse(reason);
}

function refuse(reason: TransactionUnavailableReason): Promise<never> {
  return Promise.reject(new IdempotencyTransactionUnavailableError(reason));
}
