import { defaultFieldResolver, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from '@envelop/core';
import type { Plugin as YogaPlugin, YogaInitialContext } from 'graphql-yoga';
import { idempotencyDefaults } from '../core/options.js';
import {
  createGraphQLIdempotency,
  graphqlIdempotencyDefaults,
  IdempotentDirectiveOnRootMutationRule,
  trackedRootValue,
  trackingFieldResolver,
  trackRootResolvers,
  UNSTORABLE_RESULT,
  type GraphQLIdempotencyContext,
  type GraphQLIdempotencyOptions,
  type StoredResult,
} from '../graphql/index.js';
import { idempotencyErrorResult } from './refusal.js';
import { headerSourceOf } from './request-header.js';
import { withUnexpectedErrorsMasked } from './unexpected-errors.js';
import { producedHeaderNames, toReplayedResult, toStoredResult } from './yoga-result.js';

/**
 * Options of {@link useIdempotency}: every engine option plus the GraphQL ones, read against the
 * Envelop context (Yoga's by default). The header is read from the operation's HTTP request
 * (`context.request`, Node's `context.req`, or `context.headers`); `shouldStore` sees the result as
 * Yoga sends it, after error masking.
 */
export type UseIdempotencyOptions<TContext = YogaInitialContext> = GraphQLIdempotencyOptions<TContext>;

/** The defaults of the GraphQL-specific {@link UseIdempotencyOptions} (`headerName`, `argumentName`). */
export const useIdempotencyDefaults = graphqlIdempotencyDefaults;

/**
 * Envelop plugin that makes mutations idempotent, for GraphQL Yoga and any Envelop setup (Yoga over
 * HTTP, Yoga's graphql-ws integration through `yoga.getEnveloped`, a plain `envelop({ plugins })`
 * executor). A mutation sent with an `Idempotency-Key` (HTTP header, `getKey`, argument or
 * `@idempotent(key:)` directive) runs once per scope, operation and key; every retry gets the stored
 * result, marked replayed. Queries and subscriptions pass through untouched.
 *
 * The plugin places its hooks after every other plugin, so it stores a result exactly as it is sent
 * (after error masking), and a replay passes through the same plugins' result hooks. Should another
 * plugin's `onExecuteDone` throw (so this plugin's never runs), the attempt is ended one lease after
 * the execution returned, with its result masked as error masking would, by the same policy.
 * Resolvers of a running mutation find {@link GraphQLIdempotencyContext} under `context.idempotency`; a keyed
 * mutation needs a context object of its own (as Yoga and `contextFactory` give): one that would share
 * it with another running mutation is refused with an error, nothing runs.
 *
 * @example
 * createYoga({ schema, plugins: [useIdempotency({ store: createRedisStore({ redis }), scope: (ctx) => ctx.user?.id })] })
 */
export function useIdempotency<TContext = YogaInitialContext>(options: UseIdempotencyOptions<TContext>): Plugin {
  /** Yoga's HTTP requests that carry a batch of more than one operation (`batching: true`). */
  const batches = new WeakSet<object>();
  const { admit } = createGraphQLIdempotency(options, 'useIdempotency');
  const headerName = options.headerName ?? graphqlIdempotencyDefaults.headerName;
  /** How long after execution returned this plugin waits for its own onExecuteDone before ending the attempt itself. */
  const endHookGraceMs = options.lease ?? idempotencyDefaults.lease;
  /**
   * Mutations running per context object. A keyed one must not share its context with another
   * mutation: each would see (and overwrite) the other's `context.idempotency`, key and derived keys.
   */
  const running = new WeakMap<object, { keyed: number; unkeyed: number }>();

  const lastPlugin: Plugin<{ idempotency?: GraphQLIdempotencyContext }> = {
    async onExecute({ args, extendContext, setResultAndStopExecution, executeFn, setExecuteFn }) {
      // The context execution gets, read as Envelop reads it: older @envelop/core 5.x (5.0.0 among
      // them) passes no `context` to onExecute; the newer ones pass this same object.
      const context = args.contextValue || {};
      const source = headerSourceOf(context);
      const http = source.http;
      const request = (context as { request?: unknown }).request;
      const admission = await admit({
        schema: args.schema,
        document: args.document,
        operationName: args.operationName,
        variableValues: args.variableValues,
        context: context as unknown as TContext,
        header: () => source.read(headerName),
        batched: typeof request === 'object' && request !== null && batches.has(request),
      });
      if (!admission) return undefined;
      if ('replay' in admission) {
        setResultAndStopExecution(toReplayedResult(admission.replay, http));
        return undefined;
      }
      if ('refusal' in admission) {
        setResultAndStopExecution(idempotencyErrorResult(admission.refusal, http));
        return undefined;
      }
      const mutation = admission.running;
      const keyed = mutation.context.key !== undefined;
      const onContext = running.get(context) ?? { keyed: 0, unkeyed: 0 };
      if (onContext.keyed > 0 || (keyed && onContext.unkeyed > 0)) {
        await mutation.abandon(new Error('shared context'));
        setResultAndStopExecution(sharedContextResult());
        return undefined;
      }
      const slot = keyed ? 'keyed' : 'unkeyed';
      onContext[slot]++;
      running.set(context, onContext);
      void mutation.ended.then(() => onContext[slot]--);
      let fallback: NodeJS.Timeout | undefined;
      /** The response headers execution itself asked for: the only ones a stored result carries. */
      let produced: ReadonlySet<string> = new Set();
      try {
        trackRootResolvers(args.schema);
        extendContext({ idempotency: mutation.context });
        setExecuteFn(async (executionArgs: ExecutionArgs) => {
          try {
            const result = await executeFn({
              ...executionArgs,
              rootValue: trackedRootValue(executionArgs.rootValue, mutation.roots),
              fieldResolver: trackingFieldResolver(executionArgs.fieldResolver ?? defaultFieldResolver),
            });
            produced = readProducedHeaders(result);
            fallback = setTimeout(
              () => void mutation.finish(storedForm(withUnexpectedErrorsMasked, result, produced)),
              endHookGraceMs,
            ).unref();
            return result;
          } catch (error) {
            await mutation.abandon(error);
            throw error;
          }
        });
      } catch (error) {
        // Nothing may leave an acquired key behind: a frozen context, a throwing extension.
        await mutation.abandon(error);
        throw error;
      }
      return {
        onExecuteDone: async ({ result, setResult }) => {
          clearTimeout(fallback);
          // The writes made through tx() did not commit: the error, never the value.
          const refusal = await mutation.finish(storedForm((sent) => sent, result, produced));
          if (refusal) setResult(idempotencyErrorResult(refusal, http));
        },
      };
    },
  };

  const plugin: Plugin & Pick<YogaPlugin, 'onRequestParse'> = {
    onRequestParse({ request }) {
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult) && requestParserResult.length > 1) batches.add(request);
        },
      };
    },
    onValidate({ addValidationRule }) {
      addValidationRule(IdempotentDirectiveOnRootMutationRule);
    },
    onPluginInit({ plugins }) {
      // Last in line: see the result after every other plugin's onExecuteDone (error masking included).
      plugins.push(lastPlugin as Plugin);
    },
  };
  return plugin;
}

/**
 * A result as Yoga sends it, in stored form, after `prepare` (masking, for the fallback end);
 * `UNSTORABLE_RESULT` for a streamed one, or one that cannot be read: the attempt must end either way.
 */
function storedForm(
  prepare: (result: ExecutionResult) => ExecutionResult,
  result: unknown,
  produced: ReadonlySet<string>,
): StoredResult {
  if (!isSingleResult(result)) return UNSTORABLE_RESULT;
  try {
    return toStoredResult(prepare(result), produced);
  } catch {
    return UNSTORABLE_RESULT;
  }
}

/** The headers a result as execution returned it asks for; none for a streamed or unreadable one. */
function readProducedHeaders(result: unknown): ReadonlySet<string> {
  try {
    return isSingleResult(result) ? producedHeaderNames(result) : new Set();
  } catch {
    return new Set();
  }
}

function isSingleResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result) && !Array.isArray(result);
}

/** The answer to a mutation that would share its context object with a running keyed one. */
function sharedContextResult(): ExecutionResult {
  return {
    errors: [
      new GraphQLError(
        'useIdempotency: a keyed mutation cannot share its context object with another running mutation; give each execution a context of its own.',
        {
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ),
    ],
  };
}
