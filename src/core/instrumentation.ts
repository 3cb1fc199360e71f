import type { IdempotencyEvent, IdempotencyEventHandler, IdempotencyEventType } from './events.js';

/** A keyed execution as it starts, as the `instrument` option is told. Holds no raw key, scope or input. */
export interface ExecutionStart {
  /** The operation: GraphQL root field(s) or tRPC procedure path. */
  operation: string;
  /** Hashed record id, as in the events (empty when the request has no scope: it is refused with `scope-missing`). */
  recordId: string;
}

/** How a keyed execution ended: it resolved (with a stored result when `replayed`), or it rejected with `error`. */
export type ExecutionEnd = { ok: true; replayed: boolean } | { ok: false; error: unknown };

/** Follows one keyed execution from its start to its end. Exceptions it throws are swallowed. */
export interface ExecutionObserver {
  /**
   * Receives every event of this execution, after the `onEvent` option did. A heartbeat renewal in
   * flight when the execution ends may still report a `store-error` after `end`.
   */
  onEvent?: IdempotencyEventHandler;
  /** Called once, when the execution settles (for a GraphQL mutation: once its result is stored or its key freed). */
  end?: (ending: ExecutionEnd) => void;
}

/**
 * Called when a keyed execution starts (one call of `engine.execute` with a key), synchronously in
 * the caller's context, so a tracer can take the active span as parent. Returns an observer of that
 * execution, which gets its events and its end: a start and an end per execution, which `onEvent`
 * alone cannot give. `idempotent-mutations/opentelemetry` builds on it.
 */
export type IdempotencyInstrumentation = (execution: ExecutionStart) => ExecutionObserver | undefined | void;

/** Reports one event of an execution. */
export type Report = (type: IdempotencyEventType, details: Omit<IdempotencyEvent, 'type'>) => void;

/** One execution as the engine sees it: where its events go, and how its end is told. */
export interface ObservedExecution {
  /** Sends an event to `onEvent`, then to the execution's observer. */
  report: Report;
  /** Tells the observer how the execution ended, once the caller's outcome is settled. */
  end(ending: ExecutionEnd): void;
}

/** An execution nothing observes: no event is built, no ending told. */
const UNOBSERVED: ObservedExecution = {
  report() {},
  end() {},
};

/**
 * Starts following one execution: asks `instrument` for an observer (if there is one). Costs
 * nothing when neither `onEvent` nor `instrument` is given, or `instrument` returns no observer.
 */
export function observeExecution(
  { onEvent, instrument }: { onEvent?: IdempotencyEventHandler; instrument?: IdempotencyInstrumentation },
  start: ExecutionStart,
): ObservedExecution {
  const observer = instrument ? (swallow(() => instrument(start)) ?? undefined) : undefined;
  if (!observer && !onEvent) return UNOBSERVED;
  return {
    report(type, details) {
      const event: IdempotencyEvent = { type, ...details };
      // A faulty handler must not change the outcome of a mutation.
      if (onEvent) swallow(() => onEvent(event));
      if (observer) swallow(() => observer.onEvent?.(event));
    },
    end(ending) {
      // `end` read inside too: an accessor that throws is swallowed like the call.
      if (observer) swallow(() => observer.end?.(ending));
    },
  };
}

/**
 * Calls a user's hook so that it cannot change an outcome: a throw is ignored, and so is a promise
 * it returns (an async handler), whose rejection is caught rather than left unhandled, which would
 * stop a Node process by default. A promise is never an observer: it counts as none.
 */
function swallow<T>(call: () => T): T | undefined {
  try {
    const value = call();
    if (!isThenable(value)) return value;
    value.then(undefined, () => {});
  } catch {
    // Ignored, as documented for `onEvent` and `instrument`.
  }
  return undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
