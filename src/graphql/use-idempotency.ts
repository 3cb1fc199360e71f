import { defaultFieldResolver, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from '@envelop/core';
import type { YogaInitialContext } from 'graphql-yoga';
import { idempotencyDefaults } from '../core/options.js';
import { distinctHeaderValues } from '../core/node-headers.js';
import type { RawKey } from '../core/key.js';
import { createGraphQLIdempotency, type RunningMutation } from './graphql-idempotency.js';
import { IdempotentDirectiveOnRootMutationRule } from './key-directive.js';
import { useIdempotencyDefaults, type IdempotencyContext, type UseIdempotencyOptions } from './options.js';
import { trackedRootValue, trackingFieldResolver, trackRootResolvers } from './root-outcomes.js';
import { withUnexpectedErrorsMasked } from './unexpected-errors.js';

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
 * Resolvers of a running mutation find {@link IdempotencyContext} under `context.idempotency`; a keyed
 * mutation needs a context object of its own (as Yoga and `contextFactory` give): one that would share
 * it with another running mutation is refused with an error, nothing runs.
 *
 * @example
 * createYoga({ schema, plugins: [useIdempotency({ store: createRedisStore({ redis }), scope: (ctx) => ctx.user?.id })] })
 */
export function useIdempotency<TContext = YogaInitialContext>(options: UseIdempotencyOptions<TContext>): Plugin {
  const { admit } = createGraphQLIdempotency(options, 'useIdempotency');
  const headerName = options.headerName ?? useIdempotencyDefaults.headerName;
  /** How long after execution returned this plugin waits for its own onExecuteDone before ending the attempt itself. */
  const endHookGraceMs = options.lease ?? idempotencyDefaults.lease;
  /**
   * Mutations running per context object. A keyed one must not share its context with another
   * mutation: each would see (and overwrite) the other's `context.idempotency`, key and derived keys.
   */
  const running = new WeakMap<object, { keyed: number; unkeyed: number }>();

  const lastPlugin: Plugin<{ idempotency?: IdempotencyContext }> = {
    async onExecute({ args, context, extendContext, setResultAndStopExecution, executeFn, setExecuteFn }) {
      const http = httpRequestOf(context);
      const admission = await admit({
        schema: args.schema,
        document: args.document,
        operationName: args.operationName,
        variableValues: args.variableValues,
        context: context as unknown as TContext & object,
        header: http ? readHeader(context, http, headerName) : undefined,
        overHttp: http !== undefined,
      });
      if (!admission) return undefined;
      if ('answer' in admission) {
        setResultAndStopExecution(admission.answer);
        return undefined;
      }
      const keyed = admission.running.context.key !== undefined;
      const onContext = running.get(context) ?? { keyed: 0, unkeyed: 0 };
      if (onContext.keyed > 0 || (keyed && onContext.unkeyed > 0)) {
        await admission.running.abandon(new Error('shared context'));
        setResultAndStopExecution(sharedContextResult());
        return undefined;
      }
      const slot = keyed ? 'keyed' : 'unkeyed';
      onContext[slot]++;
      running.set(context, onContext);
      const mutation = endOnce(admission.running, () => onContext[slot]--);
      let fallback: NodeJS.Timeout | undefined;
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
            fallback = setTimeout(() => void mutation.finish(maskedIfSingle(result)), endHookGraceMs).unref();
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
        onExecuteDone: ({ result }) => {
          clearTimeout(fallback);
          return mutation.finish(result);
        },
      };
    },
  };

  return {
    onValidate({ addValidationRule }) {
      addValidationRule(IdempotentDirectiveOnRootMutationRule);
    },
    onPluginInit({ plugins }) {
      // Last in line: see the result after every other plugin's onExecuteDone (error masking included).
      plugins.push(lastPlugin as Plugin);
    },
  };
}

/** The mutation, ended at most once whichever of the end hooks comes first; `onEnd` runs when it is. */
function endOnce(mutation: RunningMutation, onEnd: () => void): RunningMutation {
  let ended: Promise<void> | undefined;
  const end = (ending: () => Promise<void>) => (ended ??= ending().finally(onEnd));
  return {
    context: mutation.context,
    roots: mutation.roots,
    finish: (result) => end(() => mutation.finish(result)),
    abandon: (error) => end(() => mutation.abandon(error)),
  };
}

/** A result as the server would have sent it had masking run: for the fallback end of an attempt. */
function maskedIfSingle(result: unknown): unknown {
  return typeof result === 'object' && result !== null && 'errors' in result
    ? withUnexpectedErrorsMasked(result as ExecutionResult)
    : result;
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

/** The operation's HTTP request (Yoga puts the fetch `Request` in `context.request`); `undefined` over graphql-ws or a plain executor. */
function httpRequestOf(context: unknown): { headers: { get(name: string): string | null } } | undefined {
  const request = (context as { request?: { headers?: { get?: unknown } } } | null)?.request;
  return typeof request?.headers?.get === 'function'
    ? (request as { headers: { get(name: string): string | null } })
    : undefined;
}

/** The header's value(s): Node's distinct values where the Node request is at hand (a header sent twice shows), else the fetch header. */
function readHeader(
  context: unknown,
  request: { headers: { get(name: string): string | null } },
  name: string,
): RawKey {
  return distinctHeaderValues((context as { req?: unknown }).req, name) ?? request.headers.get(name);
}
