import type { ResultCodec } from './attempt.js';
import { startHeartbeat } from './heartbeat.js';
import type { Report } from './instrumentation.js';
import { callPersistently } from './persistent-call.js';
import { keepsRecord, RETURNED, type BodyOutcome } from './policy.js';
import type { IdempotencyStore } from './store.js';

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
  const heartbeatMs = Math.max(1, Math.floor(settings.lease / 3));
  /** Completion retries come at least five times a lease (and at least once a second), so one lands soon after a blip. */
  const longestRetryDelayMs = Math.max(1, Math.min(1_000, Math.floor(settings.lease / 5)));

  /** Starts renewing the lease of `held`; returns how to stop. */
  function hold({ id, owner, operation, fence, report: emit }: Held): () => void {
    return startHeartbeat({
      renew: () => store.extend({ id, owner, leaseMs: settings.lease }),
      everyMs: heartbeatMs,
      limitMs: settings.maxRunTime,
      onError: (error) => emit('store-error', { operation, recordId: id, fence, error }),
      onLimit: () => emit('run-limit-exceeded', { operation, recordId: id, fence }),
    });
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

  return { hold, end, serialize };
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
export function keeps<T>(value: T, { shouldStore, outcome, outcomeOf }: Judgement<T>, held: Held): boolean {
  const policyError = (error: unknown) =>
    held.report('policy-error', { operation: held.operation, recordId: held.id, fence: held.fence, error });
  if (shouldStore) {
    try {
      return shouldStore(value);
    } catch (error) {
      policyError(error);
    }
  }
  try {
    return keepsRecord(outcome ?? outcomeOf?.(value) ?? RETURNED);
  } catch (error) {
    policyError(error);
    return true;
  }
}
