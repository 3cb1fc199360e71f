import { makeErrorResult, type Operation, type OperationResult } from '@urql/core';
import { filter, make, makeSubject, merge, mergeMap, pipe, share, takeUntil, type Source } from 'wonka';
import { sleep } from '../client/backoff.js';
import { ConcurrentRetryBudget, type concurrentRetrySettings } from '../client/concurrent-retry.js';
import { fetchOptionsOf } from './fetch-options.js';

type Settings = ReturnType<typeof concurrentRetrySettings>;

/** Where an operation keeps the 409 budget of its mutation, across re-sends (a fresh mutation gets a fresh one). */
const BUDGET = 'idempotencyConcurrentRetry';

/** The operation with a fresh 409 budget in its context. */
export function withFreshBudget(operation: Operation, settings: Settings): Operation['context'] {
  return { ...operation.context, [BUDGET]: new ConcurrentRetryBudget(settings) };
}

/**
 * Forwards operations and rides out 409 `IDEMPOTENCY_CONCURRENT_REQUEST` answers to mutations: such
 * a result is held back, and after the server's `Retry-After` the same operation (same context, so
 * same key) is forwarded again, until the answer is another one or the mutation's budget is spent
 * (then the last 409 goes on). A wait ends at once, sending nothing more, on a teardown of the
 * operation's key, or on an abort of the `signal` in its `fetchOptions` (then the mutation's result
 * is that abort, as a network error).
 */
export function forwardRidingOut409(
  operations$: Source<Operation>,
  forward: (operations$: Source<Operation>) => Source<OperationResult>,
): Source<OperationResult> {
  const shared$ = share(operations$);
  const { source: waits$, next: scheduleWait } = makeSubject<{ operation: Operation; ms: number }>();
  const afterWaits$ = pipe(
    waits$,
    mergeMap(({ operation, ms }) =>
      pipe(
        waitOrAbort(operation, ms),
        takeUntil(filter((op: Operation) => op.kind === 'teardown' && op.key === operation.key)(shared$)),
      ),
    ),
    share,
  );
  const resends$ = filter((item: Operation | OperationResult): item is Operation => !('operation' in item))(
    afterWaits$,
  );
  const aborted$ = filter((item: Operation | OperationResult): item is OperationResult => 'operation' in item)(
    afterWaits$,
  );
  const results$ = pipe(
    forward(merge([shared$, resends$])),
    filter((result) => {
      const budget: unknown = result.operation.context[BUDGET];
      if (result.operation.kind !== 'mutation' || !(budget instanceof ConcurrentRetryBudget)) return true;
      const ms = budget.waitAfter(result.error?.graphQLErrors, responseHeaders(result));
      if (ms === undefined) return true;
      scheduleWait({ operation: result.operation, ms });
      return false;
    }),
  );
  return merge([results$, aborted$]);
}

/** After `ms`, the operation to re-send; or, when its `fetchOptions.signal` aborts first, its abort result. */
function waitOrAbort(operation: Operation, ms: number): Source<Operation | OperationResult> {
  return make<Operation | OperationResult>(({ next, complete }) => {
    const signal = signalOf(operation);
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) stop.abort();
    const aborted = () => next(makeErrorResult(operation, asError(signal?.reason)));
    sleep(ms, stop.signal)
      .then(
        () => (signal?.aborted ? aborted() : next(operation)), // aborted as the wait ended: send nothing
        () => signal?.aborted && aborted(), // else stopped by a teardown: nothing to tell
      )
      .finally(complete);
    return () => {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    };
  });
}

function signalOf(operation: Operation): AbortSignal | undefined {
  return fetchOptionsOf(operation).signal ?? undefined;
}

function responseHeaders(result: OperationResult): Headers | undefined {
  const headers: unknown = (result.error?.response as { headers?: unknown } | undefined)?.headers;
  return typeof (headers as Headers | undefined)?.get === 'function' ? (headers as Headers) : undefined;
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
