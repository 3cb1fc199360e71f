import type { ResultCodec } from './attempt.js';
import {
  IdempotencyCommitFailedError,
  IdempotencyLeaseLostError,
  IdempotencyTransactionEndedError,
  isIdempotencyError,
} from './errors.js';
import { createHeartbeat } from './heartbeat.js';
import type { Report } from './instrumentation.js';
import { callPersistently } from './persistent-call.js';
import { keepsRecord, RETURNED, type BodyOutcome } from './policy.js';
import type { IdempotencyStore, StoreTransaction } from './store.js';

/** Stored in place of an outcome that could not be kept; never valid codec output. */
export const NOT_STORED = '!not-stored';

/** The record one attempt holds, and where the attempt's events go. */
export interface Held {
  id: string;
  owner: string;
  operation: string;
  fence: number;
  report: Report;
}

/** What holding and ending a record needs from the engine's settings. */
export interface HoldSettings {
  store: IdempotencyStore;
  lease: number;
  ttl: number;
  maxRunTime: number;
  maxResultBytes: number;
  /** How long a completion or release is retried after store errors, in milliseconds. */
  completionRetry: number;
}

/**
 * Holding a record from its acquisition to its end: `hold` starts the heartbeat that renews the
 * lease; `end` stores the outcome, or frees the key, retrying store errors with backoff for
 * `completionRetry` while the heartbeat keeps renewing, then stops it.
 */
export function createRecordHolding(settings: HoldSettings) {
  const { store } = settings;
  /** Completion retries come at least five times a lease (and at least once a second), so one lands soon after a blip. */
  const longestRetryDelayMs = Math.max(1, Math.min(1_000, Math.floor(settings.lease / 5)));

  /** One timer renews the leases of all the records this engine holds. */
  const heartbeat = createHeartbeat<Held>({
    renew: ({ id, owner }) => store.extend({ id, owner, leaseMs: settings.lease }),
    everyMs: Math.max(1, Math.floor(settings.lease / 3)),
    limitMs: settings.maxRunTime,
    onError: ({ id, operation, fence, report: emit }, error) =>
      emit('store-error', { operation, recordId: id, fence, error }),
    onLimit: ({ id, operation, fence, report: emit }) => emit('run-limit-exceeded', { operation, recordId: id, fence }),
  });

  /** Starts renewing the lease of `held`; returns how to stop. */
  function hold(held: Held): () => void {
    return heartbeat.start(held);
  }

  /** Stores `result` (or frees the key when it is undefined), then stops the heartbeat. Never rejects. */
  async function end(
    { id, owner, operation, fence, report: emit }: Held,
    result: string | undefined,
    stopHeartbeat: () => void,
  ): Promise<void> {
    const transition = () =>
      result === undefined ? store.release({ id, owner }) : store.complete({ id, owner, result, ttlMs: settings.ttl });
    try {
      const accepted = await callPersistently(transition, settings.completionRetry, longestRetryDelayMs, (error) =>
        emit('store-error', { operation, recordId: id, fence, error }),
      );
      emit(accepted ? (result === undefined ? 'released' : 'executed') : 'stale-completion', {
        operation,
        recordId: id,
        fence,
      });
    } catch {
      // Every failure was reported; the caller still gets its result, and the lease lapses.
    } finally {
      stopHeartbeat();
    }
  }

  /** The stored form of a value, or the NOT_STORED marker when it cannot be serialized or is too large. */
  function serialize<T>(codec: ResultCodec<T>, value: T, { operation, id, fence, report: emit }: Held): string {
    try {
      const serialized = codec.stringify(value);
      if (Buffer.byteLength(serialized) <= settings.maxResultBytes) return serialized;
      emit('result-not-stored', { operation, recordId: id, fence });
    } catch (error) {
      emit('result-not-stored', { operation, recordId: id, fence, error });
    }
    return NOT_STORED;
  }

  /**
   * Ends `held` whose body wrote through `transaction`. A body that returned: `result` (the stored
   * form, or NOT_STORED) commits with the writes in one round trip. A body that threw: the writes
   * are rolled back; its kept `result` is stored outside the transaction, else the key is freed
   * (rollback and release in one round trip). Stops the heartbeat. Rejects with the typed error the
   * caller gets instead of the value: the record was lost (nothing committed, 503), the commit's
   * outcome is unknown (503, the record left to its lease), or the database refused the commit
   * (nothing committed, the key freed as for a body that threw, 500).
   */
  async function endInTransaction(
    held: Held,
    transaction: StoreTransaction,
    ending: { returned: boolean; result: string | undefined },
    stopHeartbeat: () => void,
  ): Promise<void> {
    const { id, operation, fence, report: emit } = held;
    const event = { operation, recordId: id, fence };
    const { returned, result } = ending;
    if (!returned && result !== undefined) {
      await transaction.rollback().catch((error: unknown) => emit('store-error', { ...event, error }));
      return end(held, result, stopHeartbeat);
    }
    if (result === undefined) {
      try {
        const released = await transaction.release();
        emit(released ? 'released' : 'stale-completion', event);
        stopHeartbeat();
      } catch (error) {
        emit('store-error', { ...event, error });
        // The body's own COMMIT kept its writes: the record keeps a refusal, never freed. Otherwise the
        // writes rolled back with the connection: free the key again.
        await end(held, error instanceof IdempotencyTransactionEndedError ? NOT_STORED : undefined, stopHeartbeat);
      }
      return;
    }
    let committed: boolean;
    try {
      committed = await transaction.commit(result, settings.ttl);
    } catch (error) {
      emit('store-error', { ...event, error });
      if (error instanceof IdempotencyTransactionEndedError) {
        // The body's own COMMIT may have kept its writes: the record keeps a refusal, never freed.
        await end(held, NOT_STORED, stopHeartbeat);
        throw error;
      }
      if (isIdempotencyError(error)) {
        stopHeartbeat(); // outcome unknown: the lease lapses, and a retry finds the truth
        throw error;
      }
      await end(held, undefined, stopHeartbeat); // nothing committed and the record still ours: a body that threw
      throw new IdempotencyCommitFailedError(error);
    }
    stopHeartbeat();
    if (!committed) {
      emit('stale-completion', event);
      throw new IdempotencyLeaseLostError();
    }
    emit('executed', event);
  }

  return { hold, end, endInTransaction, serialize };
}

/** How a value is judged: the user's `shouldStore`, the explicit outcome, else the request's `outcome` of the value. */
export interface Judgement<T> {
  shouldStore?: (value: T) => boolean;
  outcome?: BodyOutcome;
  outcomeOf?: (value: T) => BodyOutcome;
}

/**
 * Whether the value is kept: the user's `shouldStore` if given (and it does not throw), else the
 * error policy on the outcome. An `outcomeOf` that throws counts as "the body returned": kept,
 * never run again. What throws is reported as a `policy-error`.
 */
export function keeps<T>(value: T, judgement: Judgement<T>, held: Held): boolean {
  if (judgement.shouldStore) {
    try {
      return judgement.shouldStore(value);
    } catch (error) {
      policyError(held, error);
    }
  }
  return keepsRecord(judgedOutcome(value, judgement, held));
}

/**
 * How the body ended: the explicit outcome, else the request's `outcomeOf` the value, else "the
 * body returned". An `outcomeOf` that throws counts as "the body returned" (a `policy-error`
 * event, where `held` is given).
 */
export function judgedOutcome<T>(value: T, { outcome, outcomeOf }: Judgement<T>, held?: Held): BodyOutcome {
  try {
    return outcome ?? outcomeOf?.(value) ?? RETURNED;
  } catch (error) {
    if (held) policyError(held, error);
    return RETURNED;
  }
}

function policyError(held: Held, error: unknown): void {
  held.report('policy-error', { operation: held.operation, recordId: held.id, fence: held.fence, error });
}
