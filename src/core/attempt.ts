import type { ExecuteRequest, IdempotencyEngine, RunContext } from './engine.js';

/** How an attempt began: it may run now, or it was answered with a stored value. */
export type Attempt<T> =
  | {
      status: 'running';
      /** Key and fencing token of this attempt. */
      context: RunContext;
      /** Hands over the value to store (`null` frees the key) and waits until the store has it. */
      finish(value: T | null): Promise<void>;
    }
  | { status: 'replayed'; value: T };

/**
 * Starts `engine.execute` for an operation that runs between two hooks of a transport (as a
 * GraphQL execution does, between Yoga's onExecute and onExecutionResult) instead of inside one
 * callback: resolves as soon as the engine either lets the operation run or answers with a stored
 * value. Rejects with the engine's typed errors (conflict, mismatch, store down, …). The caller
 * must call `finish` exactly once on a running attempt, or its lease is renewed until it does.
 */
export async function beginAttempt<T>(
  engine: IdempotencyEngine,
  request: Omit<ExecuteRequest<T | null>, 'run' | 'shouldStore'>,
): Promise<Attempt<T>> {
  let allowRun!: (context: RunContext) => void;
  let deliver!: (value: T | null) => void;
  const running = new Promise<RunContext>((resolve) => (allowRun = resolve));
  const delivered = new Promise<T | null>((resolve) => (deliver = resolve));
  const execution = engine.execute<T | null>({
    ...request,
    run: (context) => {
      allowRun(context);
      return delivered;
    },
    shouldStore: (value) => value !== null,
  });

  const first = await Promise.race([running.then((context) => ({ context })), execution.then((done) => ({ done }))]);
  if ('done' in first) return { status: 'replayed', value: first.done.value as T };
  return {
    status: 'running',
    context: first.context,
    async finish(value) {
      deliver(value);
      await execution;
    },
  };
}
