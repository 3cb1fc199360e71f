import type { ApolloLink } from '@apollo/client/link';
import { ServerError } from '@apollo/client/errors';
import { Observable } from '@apollo/client/utilities';
import { sleep } from '../client/backoff.js';
import { ConcurrentRetryBudget, concurrentRetrySettings } from '../client/concurrent-retry.js';

type Settings = ReturnType<typeof concurrentRetrySettings>;
type Subscription = ReturnType<Observable<ApolloLink.Result>['subscribe']>;

/**
 * Forwards a keyed mutation and, while it is answered with a 409 `IDEMPOTENCY_CONCURRENT_REQUEST`
 * (as a result, or as the `ServerError` `HttpLink` raises for a non-GraphQL media type), waits the
 * server's `Retry-After` and forwards the same operation again: its context, and so its key, stays
 * the same. When the budget is spent the last 409 goes to the application as it came.
 *
 * Cancellable: unsubscribing ends the wait at once and sends nothing more, and an abort of the
 * `fetchOptions.signal` in the operation's context ends the wait with the signal's reason as the
 * error (`HttpLink` itself aborts a request in flight on that signal).
 */
export function forwardRidingOut409(
  operation: ApolloLink.Operation,
  forward: ApolloLink.ForwardFunction,
  settings: Settings,
): Observable<ApolloLink.Result> {
  return new Observable<ApolloLink.Result>((observer) => {
    const budget = new ConcurrentRetryBudget(settings);
    const signal = (operation.getContext().fetchOptions as RequestInit | undefined)?.signal ?? undefined;
    const stopWaiting = new AbortController();
    let current: Subscription | undefined;
    let waiting = false;

    const attempt = () => {
      if (signal?.aborted) return observer.error(signal.reason); // aborted as the wait ended: send nothing
      current = forward(operation).subscribe({
        next(result) {
          const response = operation.getContext().response as Response | undefined;
          wait(budget.waitAfter('errors' in result ? result.errors : undefined, response?.headers), () =>
            observer.next(result),
          );
        },
        error(error: unknown) {
          const refusal = ServerError.is(error) ? errorsOf(error.bodyText) : undefined;
          wait(budget.waitAfter(refusal, ServerError.is(error) ? error.response.headers : null), () =>
            observer.error(error),
          );
        },
        complete() {
          if (!waiting) observer.complete();
        },
      });
    };
    /** Waits `ms` and attempts again; `undefined`: hands the outcome on instead. */
    const wait = (ms: number | undefined, handOn: () => void) => {
      if (ms === undefined) return handOn();
      waiting = true;
      sleep(ms, stopWaiting.signal).then(
        () => {
          waiting = false;
          attempt();
        },
        () => undefined, // stopped by unsubscribing or by the signal; onAbort reports the latter
      );
    };
    const onAbort = () => {
      if (!waiting) return; // an attempt in flight: HttpLink aborts it and reports the abort itself
      stopWaiting.abort();
      observer.error(signal?.reason);
    };

    signal?.addEventListener('abort', onAbort, { once: true });
    attempt();
    return () => {
      signal?.removeEventListener('abort', onAbort);
      stopWaiting.abort();
      current?.unsubscribe();
    };
  });
}

/** The GraphQL errors of a response body, or `undefined` when it is not a GraphQL result. */
function errorsOf(bodyText: string): unknown {
  try {
    return (JSON.parse(bodyText) as { errors?: unknown } | null)?.errors;
  } catch {
    return undefined;
  }
}
