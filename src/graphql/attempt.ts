import type { ExecutionResult } from 'graphql';
import type { ExecuteRequest, IdempotencyEngine, RunContext } from '../core/engine.js';
import { toReplayedResult, type StoredResult } from './stored-result.js';

/** How an attempt began: it may run now, or it was answered with a stored result. */
export type Attempt =
  | {
      status: 'running';
      /** Key and fencing token of this attempt. */
      context: RunContext;
      /** Hands over the result to store (`null` frees the key) and waits until the store has it. */
      finish(stored: StoredResult | null): Promise<void>;
    }
  | { status: 'replayed'; result: ExecutionResult };

/**
 * Starts `engine.execute` for one operation whose execution happens between two Envelop / Yoga
 * hooks: resolves as soon as the engine either lets the operation run or answers with a stored
 * result. Rejects with the engine's typed errors (conflict, mismatch, store down, …).
 */
export async function beginAttempt(
  engine: IdempotencyEngine,
  request: Omit<ExecuteRequest<StoredResult | null>, 'run' | 'shouldStore'>,
): Promise<Attempt> {
  let allowRun!: (context: RunContext) => void;
  let deliver!: (stored: StoredResult | null) => void;
  const running = new Promise<RunContext>((resolve) => (allowRun = resolve));
  const delivered = new Promise<StoredResult | null>((resolve) => (deliver = resolve));
  const execution = engine.execute<StoredResult | null>({
    ...request,
    run: (context) => {
      allowRun(context);
      return delivered;
    },
    shouldStore: (stored) => stored !== null,
  });

  const first = await Promise.race([running.then((context) => ({ context })), execution.then((done) => ({ done }))]);
  if ('done' in first) return { status: 'replayed', result: toReplayedResult(first.done.value as StoredResult) };
  return {
    status: 'running',
    context: first.context,
    async finish(stored) {
      deliver(stored);
      await execution;
    },
  };
}
