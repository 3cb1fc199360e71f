import type { IdempotencyEventHandler } from './events.js';
import type { IdempotencyInstrumentation } from './instrumentation.js';
import { DEFAULT_MAX_KEY_LENGTH } from './key.js';
import type { IdempotencyStore } from './store.js';

/** How a repeat that arrives while the first attempt still runs is answered. */
export type ConcurrentPolicy = 'reject' | ConcurrentWait;

/** Repeats wait for the running attempt (then replay its result), polling the store together. */
export interface ConcurrentWait {
  /** Longest wait in milliseconds before rejecting with 409; no default, it must be given. */
  wait: number;
  /**
   * Most requests of one engine (one plugin or middleware) that wait on one record at once: they
   * share one store poll, and a repeat past this bound is answered 409 at once, without waiting.
   * Defaults to `1_000`.
   */
  maxWaiters?: number;
}

/** The default of {@link ConcurrentWait.maxWaiters}. */
export const DEFAULT_MAX_WAITERS = 1_000;

/** Options shared by the engine and every adapter. */
export interface IdempotencyOptions {
  /** Where records live. Defaults to a new in-memory store (`createMemoryStore()`), one per engine. */
  store?: IdempotencyStore;
  /** Reject keyed operations sent without a key. Defaults to `false`. */
  required?: boolean;
  /**
   * How long a completed result is kept for replay, in milliseconds; a running record lives at
   * least this long from its `begin`. At least `maxRunTime` + `lease`. Defaults to 24 hours (`86_400_000`).
   */
  ttl?: number;
  /**
   * Lease of a running attempt, in milliseconds. The lease is renewed every third of it while the
   * operation runs; if the process dies, a retry takes over once it lapses. Defaults to `10_000`.
   */
  lease?: number;
  /**
   * `'reject'` answers a concurrent repeat with 409; `{ wait: ms }` waits up to `ms` and replays
   * (`maxWaiters` bounds how many wait on one record; they share one store poll). Defaults to `'reject'`.
   */
  concurrent?: ConcurrentPolicy;
  /** `'closed'` rejects with 503 when the store is unreachable; `'open'` runs the operation without idempotency. Defaults to `'closed'`. */
  failMode?: 'closed' | 'open';
  /** Seconds sent in `Retry-After` with a 409. Defaults to `1`. */
  retryAfter?: number;
  /** Longest accepted key, in characters. Defaults to `255`. */
  maxKeyLength?: number;
  /**
   * Longest time a running attempt's lease is renewed, in milliseconds: a last resort against an
   * attempt that is never finished. Past it the heartbeat stops (a `run-limit-exceeded` event) and,
   * once the lease lapses, a retry may take the record over (fenced, as after a crash). Set it above
   * your slowest mutation. Defaults to 5 minutes (`300_000`).
   */
  maxRunTime?: number;
  /**
   * How long storing an outcome (`complete`) or freeing a key (`release`) is retried after a store
   * error, in milliseconds, with backoff while the heartbeat keeps the lease: a Redis blip during
   * completion must not leave the record to lapse and run again. The caller gets its result once
   * the outcome is stored or this budget is spent. Defaults to the `lease`.
   */
  completionRetry?: number;
  /** Largest serialized result that is stored, in bytes; a larger one is not stored and its repeats get a 500. Defaults to 1 MiB (`1_048_576`). */
  maxResultBytes?: number;
  /** Receives every idempotency event (executed, replayed, conflict, …). Defaults to none. */
  onEvent?: IdempotencyEventHandler;
  /**
   * Follows each keyed execution from its start to its end (for tracing): called as one starts, it
   * returns an observer that receives that execution's events and how it ended. Use
   * `createIdempotencyTelemetry().instrument` from `idempotent-mutations/opentelemetry`. Defaults to none.
   */
  instrument?: IdempotencyInstrumentation;
}

/** The defaults of {@link IdempotencyOptions}, store aside. */
export const idempotencyDefaults = {
  required: false,
  ttl: 86_400_000,
  lease: 10_000,
  concurrent: 'reject',
  failMode: 'closed',
  retryAfter: 1,
  maxKeyLength: DEFAULT_MAX_KEY_LENGTH,
  maxResultBytes: 1_048_576,
  maxRunTime: 300_000,
} as const satisfies Required<Omit<IdempotencyOptions, 'store' | 'onEvent' | 'instrument' | 'completionRetry'>>;

type Settings = Required<Omit<IdempotencyOptions, 'store' | 'onEvent' | 'instrument' | 'completionRetry'>> &
  Pick<IdempotencyOptions, 'completionRetry'>;

/**
 * Checks the numbers in the engine's settings: Redis takes whole milliseconds, `Retry-After` whole
 * seconds, and a record must outlive every lease of the attempt that holds it. The last renewal
 * comes at most `maxRunTime` after `begin` and holds one lease more, so `ttl` must be at least
 * `maxRunTime` plus `lease`: then no record expires while a lease on it is live, whatever the store
 * does on renewal, and a retry after a lapsed lease finds the record and takes it over with the
 * next fencing token (until the record's `ttl` has passed). Throws a `TypeError` naming the
 * option at construction, rather than failing on the first request.
 */
export function validateOptions<T extends Settings>(settings: T): T {
  const wholeAtLeast = (name: string, value: number, least: number) => {
    if (!Number.isSafeInteger(value) || value < least)
      throw new TypeError(`idempotency option "${name}" must be a whole number ≥ ${least}, got ${value}.`);
  };
  wholeAtLeast('lease', settings.lease, 1);
  wholeAtLeast('maxRunTime', settings.maxRunTime, settings.lease);
  wholeAtLeast('ttl', settings.ttl, 1);
  if (settings.ttl < settings.maxRunTime + settings.lease) {
    throw new TypeError(
      `idempotency option "ttl" must be at least "maxRunTime" + "lease" (${settings.maxRunTime} + ${settings.lease} = ${settings.maxRunTime + settings.lease} ms), ` +
        `got ${settings.ttl}: a running record must outlive its longest renewal plus a lease, or its fencing token starts over. Lower "maxRunTime" or raise "ttl".`,
    );
  }
  wholeAtLeast('retryAfter', settings.retryAfter, 1);
  wholeAtLeast('maxKeyLength', settings.maxKeyLength, 1);
  wholeAtLeast('maxResultBytes', settings.maxResultBytes, 1);
  if (settings.completionRetry !== undefined) wholeAtLeast('completionRetry', settings.completionRetry, 0);
  if (typeof settings.concurrent === 'object') {
    wholeAtLeast('concurrent.wait', settings.concurrent.wait, 0);
    if (settings.concurrent.maxWaiters !== undefined)
      wholeAtLeast('concurrent.maxWaiters', settings.concurrent.maxWaiters, 1);
  } else if (settings.concurrent !== 'reject')
    throw new TypeError(`idempotency option "concurrent" must be 'reject' or { wait: ms }.`);
  if (settings.failMode !== 'closed' && settings.failMode !== 'open')
    throw new TypeError(`idempotency option "failMode" must be 'closed' or 'open'.`);
  return settings;
}
