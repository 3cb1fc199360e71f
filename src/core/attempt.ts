import type { ExecuteRequest, IdempotencyEngine } from './engine.js';
import type { BodyOutcome } from './policy.js';
import type { RunContext } from './run-context.js';

/** How an attempt began: it may run now, or it was answered with a stored value. */
export type Attempt<T> =
  | {
      status: 'running';
      /** Key, fencing token and derived keys of this attempt. */
      context: RunContext;
      /** Hands over the final value and how the body ended; waits until the store has it (or freed the key). */
      finish(value: T, outcome: BodyOutcome): Promise<void>;
      /** Ends an attempt whose body never ran or threw unexpectedly: frees the key; waits until the store did. */
      abandon(error: unknown): Promise<void>;
    }
  | { status: 'replayed'; value: T };

/**
 * Starts `engine.execute` for an operation that runs between two hooks of a transport (as a
 * GraphQL execution does, between an Envelop plugin's onExecute and its onExecuteDone) instead of
 * inside one callback: resolves as soon as the engine either lets the operation run or answers
 * with a stored value. Rejects with the engine's typed errors (conflict, mismatch, store down, …).
 * The caller must end a running attempt exactly once, with `finish` or `abandon`; otherwise its
 * lease is renewed until the engine's `maxRunTime`.
 */
export async function beginAttempt<T>(
  engine: IdempotencyEngine,
  request: Omit<ExecuteRequest<T>, 'run' | 'outcome'>,
): Promise<Attempt<T>> {
  let allowRun!: (context: RunContext) => void;
  let deliver!: (ending: { value: T; outcome: BodyOutcome }) => void;
  let fail!: (error: unknown) => void;
  let outcome: BodyOutcome | undefined;
  const running = new Promise<RunContext>((resolve) => (allowRun = resolve));
  const delivered = new Promise<{ value: T; outcome: BodyOutcome }>((resolve, reject) => {
    deliver = resolve;
    fail = reject;
  });
  const execution = engine.execute<T>({
    ...request,
    run: async (context) => {
      allowRun(context);
      const ending = await delivered;
      outcome = ending.outcome;
      return ending.value;
    },
    outcome: () => outcome ?? { returned: true },
  });

  const first = await Promise.race([running.then((context) => ({ context })), execution.then((done) => ({ done }))]);
  if ('done' in first) return { status: 'replayed', value: first.done.value };
  return {
    status: 'running',
    context: first.context,
    async finish(value, ending) {
      deliver({ value, outcome: ending });
      await execution;
    },
    async abandon(error) {
      fail(error);
      await execution.catch(() => undefined);
    },
  };
}
