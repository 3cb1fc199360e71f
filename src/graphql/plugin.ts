import { type ExecutionResult } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import { createIdempotencyEngine } from '../core/engine.js';
import { isIdempotencyError } from '../core/errors.js';
import { distinctHeaderValues } from '../core/node-headers.js';
import { assertScopeOption, resolveScope } from '../core/scope.js';
import { beginAttempt, type Attempt } from '../core/attempt.js';
import { idempotencyErrorResult } from './errors.js';
import { findKeyArgument } from './key-argument.js';
import { findMutation } from './mutation.js';
import { useIdempotencyDefaults, type IdempotencyContext, type UseIdempotencyOptions } from './options.js';
import { shouldStoreResult } from './result-policy.js';
import { toReplayedResult, toStoredResult, type StoredResult } from './stored-result.js';

type RunningAttempt = Extract<Attempt<StoredResult>, { status: 'running' }>;

/**
 * GraphQL Yoga plugin that makes mutations idempotent: a mutation sent with an `Idempotency-Key`
 * (header or argument) runs once per scope, operation and key; every retry gets the stored result,
 * marked replayed. Queries and subscriptions pass through untouched.
 *
 * Resolvers of a running mutation find `{ key, fence }` under `context.idempotency`.
 *
 * @example
 * createYoga({ schema, plugins: [useIdempotency({ store: createRedisStore({ redis }), scope: (ctx) => ctx.user?.id })] })
 */
export function useIdempotency<TContext = YogaInitialContext>(
  options: UseIdempotencyOptions<TContext>,
): Plugin<{ idempotency?: IdempotencyContext }> {
  const scope = assertScopeOption(options.scope, 'useIdempotency');
  const {
    headerName = useIdempotencyDefaults.headerName,
    argumentName = useIdempotencyDefaults.argumentName,
    shouldStore = shouldStoreResult,
  } = options;
  const engine = createIdempotencyEngine(options);
  /** Attempts that run, by execution context, until Yoga hands over their final (masked) result. */
  const running = new WeakMap<object, RunningAttempt>();
  /**
   * The execution contexts of each HTTP request whose attempt is still open. If another plugin's
   * hook throws, Yoga may never call our onExecutionResult; onResponse then frees the key, so an
   * open attempt cannot hold its lease (renewed by the heartbeat) forever.
   */
  const openByRequest = new WeakMap<Request, Set<object>>();

  async function finish(context: object, result: unknown): Promise<void> {
    const attempt = running.get(context);
    if (!attempt) return;
    running.delete(context);
    let stored: StoredResult | null = null;
    try {
      if (isSingleResult(result) && shouldStore(result)) stored = toStoredResult(result);
    } finally {
      // Always hand over, even when a user's shouldStore throws: an attempt left open would keep its lease forever.
      await attempt.finish(stored);
    }
  }

  let onYoga = false;

  return {
    onYogaInit() {
      onYoga = true;
    },

    async onExecute({ args, extendContext, setResultAndStopExecution }) {
      const mutation = findMutation(args.document, args.operationName);
      if (!mutation) return;
      if (!onYoga) throw new Error('useIdempotency: this plugin needs GraphQL Yoga (it stores the result in onExecutionResult).');
      const context = args.contextValue;
      let attempt: Attempt<StoredResult>;
      try {
        const key = engine.resolveKey({
          header: distinctHeaderValues((context as { req?: unknown }).req, headerName) ?? context.request?.headers.get(headerName),
          argument: findKeyArgument(args.schema, mutation, args.variableValues, argumentName),
        });
        attempt = await beginAttempt<StoredResult>(engine, {
          scope: await resolveScope(scope, context as unknown as TContext),
          operation: mutation.identity,
          key,
          input: { ...mutation.shape, variables: args.variableValues ?? {} },
        });
      } catch (error) {
        if (!isIdempotencyError(error)) throw error;
        setResultAndStopExecution(idempotencyErrorResult(error));
        return;
      }
      if (attempt.status === 'replayed') {
        setResultAndStopExecution(toReplayedResult(attempt.value));
        return;
      }
      running.set(context, attempt);
      const open = openByRequest.get(context.request) ?? new Set<object>();
      openByRequest.set(context.request, open.add(context));
      extendContext({ idempotency: { ...attempt.context } satisfies IdempotencyContext });
    },

    async onExecutionResult({ context, result }) {
      openByRequest.get(context.request)?.delete(context);
      await finish(context, result);
    },

    async onResponse({ request }) {
      const open = openByRequest.get(request);
      if (!open) return;
      openByRequest.delete(request);
      await Promise.all([...open].map((context) => finish(context, null)));
    },
  };
}

/** Streamed (`@defer` / `@stream`) results are never stored; their key is freed. */
function isSingleResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result) && !Array.isArray(result);
}
