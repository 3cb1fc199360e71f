import { isIdempotencyError, type IdempotencyErrorCode } from '../core/errors.js';
import type { IdempotencyEventType } from '../core/events.js';
import type { ExecutionEnd } from '../core/instrumentation.js';
import type { IdempotencyOutcome } from './names.js';

/** What the events of one execution showed. */
export interface Seen {
  types: Set<IdempotencyEventType>;
  /** The fencing token, once an event carried one: the execution acquired the record. */
  fence: number | undefined;
}

/** Event types that decide the outcome, strongest first. */
const DECIDING: ReadonlyArray<IdempotencyEventType & IdempotencyOutcome> = [
  'scope-missing',
  'conflict',
  'mismatch',
  'replayed',
  'stale-completion',
  'result-not-stored',
  'executed',
  'released',
];

/** Refusals by the engine's own errors that no event reports. */
const BY_CODE: Partial<Record<IdempotencyErrorCode, IdempotencyOutcome>> = {
  IDEMPOTENCY_STORE_UNAVAILABLE: 'store-unavailable',
  IDEMPOTENCY_RESULT_NOT_STORED: 'not-replayable',
  IDEMPOTENCY_INPUT_INVALID: 'input-invalid',
};

/** The outcome of an execution, from its events and how it ended. */
export function outcomeOf(seen: Seen, ending: ExecutionEnd): IdempotencyOutcome {
  const decided = DECIDING.find((type) => seen.types.has(type));
  if (decided) return decided;
  const byCode = !ending.ok && isIdempotencyError(ending.error) ? BY_CODE[ending.error.code] : undefined;
  if (byCode) return byCode;
  // Acquired and ran, yet neither stored nor freed: every completion attempt failed (reported as store errors).
  if (seen.fence !== undefined) return 'completion-failed';
  // The store failed at begin, and the operation still ran (or threw): fail-open.
  if (seen.types.has('store-error')) return 'fail-open';
  return 'error';
}

/** Outcomes where idempotency was not delivered or the store failed: the span's status is ERROR. */
export const FAILED: ReadonlySet<IdempotencyOutcome> = new Set<IdempotencyOutcome>([
  'stale-completion',
  'result-not-stored',
  'not-replayable',
  'store-unavailable',
  'fail-open',
  'completion-failed',
  'error',
]);

/** The class of an error, as `error.type` wants it: its class name, never its message. */
export function errorType(error: unknown): string {
  if (isIdempotencyError(error)) return error.code;
  if (error instanceof Error) return error.constructor.name || 'Error';
  return '_OTHER';
}
