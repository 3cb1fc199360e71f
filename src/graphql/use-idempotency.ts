import type { ExecutionArgs } from 'graphql';
import type { Plugin } from '@envelop/core';
import type { YogaInitialContext } from 'graphql-yoga';
import { distinctHeaderValues } from '../core/node-headers.js';
import type { RawKey } from '../core/key.js';
import { createGraphQLIdempotency, type RunningMutation } from './graphql-idempotency.js';
import { IdempotentDirectiveOnRootMutationRule } from './key-directive.js';
import { useIdempotencyDefaults, type IdempotencyContext, type UseIdempotencyOptions } from './options.js';

/**
 * How long after an execution returned its result the plugin waits for its own `onExecuteDone` (which
 * stores the final result) before ending the attempt itself: another plugin's `onExecuteDone` that
 * threw keeps ours from running, and an attempt left open would hold its key. Ended that way, the
 * key is freed if no root resolver returned; otherwise the outcome is recorded as not stored, and
 * repeats are refused rather than run again.
 */
const END_HOOK_GRACE_MS = 1_000;

/**
 * Envelop plugin that makes mutations idempotent, for GraphQL Yoga and any Envelop setup (Yoga over
 * HTTP, Yoga's graphql-ws integration through `yoga.getEnveloped`, a plain `envelop({ plugins })`
 * executor). A mutation sent with an `Idempotency-Key` (HTTP header, `getKey`, or argument) runs once
 * per scope, operation and key; every retry gets the stored result, marked replayed. Queries and
 * subscriptions pass through untouched.
 *
 * The plugin places its hooks after every other plugin, so it stores a result exactly as it is sent
 * (after error masking), and a replay passes through the same plugins' result hooks.
 * Resolvers of a running mutation find {@link IdempotencyContext} under `context.idempotency`.
 *
 * @example
 * createYoga({ schema, plugins: [useIdempotency({ store: createRedisStore({ redis }), scope: (ctx) => ctx.user?.id })] })
 */
export function useIdempotency<TContext = YogaInitialContext>(options: UseIdempotencyOptions<TContext>): Plugin {
  const { admit } = createGraphQLIdempotency(options, 'useIdempotency');
  const headerName = options.headerName ?? useIdempotencyDefaults.headerName;

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
      const mutation = endOnce(admission.running);
      extendContext({ idempotency: mutation.context });
      let fallback: NodeJS.Timeout | undefined;
      setExecuteFn(async (executionArgs: ExecutionArgs) => {
        try {
          const result = await executeFn(executionArgs);
          fallback = setTimeout(() => void mutation.abandon(new Error('onExecuteDone did not run')), END_HOOK_GRACE_MS).unref();
          return result;
        } catch (error) {
          await mutation.abandon(error);
          throw error;
        }
      });
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

/** The mutation, ended at most once whichever of the end hooks comes first. */
function endOnce(mutation: RunningMutation): RunningMutation {
  let ended: Promise<void> | undefined;
  return {
    context: mutation.context,
    finish: (result) => (ended ??= mutation.finish(result)),
    abandon: (error) => (ended ??= mutation.abandon(error)),
  };
}

/** The operation's HTTP request (Yoga puts the fetch `Request` in `context.request`); `undefined` over graphql-ws or a plain executor. */
function httpRequestOf(context: unknown): { headers: { get(name: string): string | null } } | undefined {
  const request = (context as { request?: { headers?: { get?: unknown } } } | null)?.request;
  return typeof request?.headers?.get === 'function' ? (request as { headers: { get(name: string): string | null } }) : undefined;
}

/** The header's value(s): Node's distinct values where the Node request is at hand (a header sent twice shows), else the fetch header. */
function readHeader(context: unknown, request: { headers: { get(name: string): string | null } }, name: string): RawKey {
  return distinctHeaderValues((context as { req?: unknown }).req, name) ?? request.headers.get(name);
}
