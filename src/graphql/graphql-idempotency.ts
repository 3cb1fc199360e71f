import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import { beginAttempt } from '../core/attempt.js';
import { createIdempotencyEngine } from '../core/engine.js';
import { IdempotencyStreamUnsupportedError, isIdempotencyError } from '../core/errors.js';
import type { RawKey } from '../core/key.js';
import { keepsRecord, RETURNED } from '../core/policy.js';
import type { RunContext } from '../core/run-context.js';
import { assertScopeOption, resolveScope } from '../core/scope.js';
import { idempotencyErrorResult } from './errors.js';
import { findKeyArgument } from './key-argument.js';
import { findKeyDirective } from './key-directive.js';
import { findMutation, type MutationOperation } from './mutation.js';
import { useIdempotencyDefaults, type UseIdempotencyOptions } from './options.js';
import { RootOutcomes } from './root-outcomes.js';
import {
  UNSTORABLE_RESULT,
  storedResultCodec,
  toReplayedResult,
  toStoredResult,
  type StoredResult,
} from './stored-result.js';
import { coerceVariables, variablesAsSent } from './variables.js';

/** One GraphQL execution as a server adapter sees it before it runs. */
export interface GraphQLExecution<TContext> {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Readonly<Record<string, unknown>> | null;
  /** The execution's context object; a tracker of the root resolvers is put on it. */
  context: TContext & object;
  /** The key header's raw value(s), where the operation came in an HTTP request; `undefined` otherwise. */
  header: RawKey;
  /** Whether an HTTP response carries the answer (status codes and headers go in `extensions.http`). */
  overHttp: boolean;
}

/** A mutation allowed to run: its run context, what its root resolvers do, and how to end it. */
export interface RunningMutation {
  context: RunContext;
  /** The adapter reports here when each root mutation resolver starts, returns or throws. */
  roots: RootOutcomes;
  /**
   * Hands over the final result as it is sent; once every root resolver that started is done, stores
   * it or frees the key by the policy. Call once (or `abandon`).
   */
  finish(result: unknown): Promise<void>;
  /**
   * Ends a mutation whose execution produced no result to send (it threw, or was given up): once every
   * root resolver that started is done, frees the key when the policy allows, else refuses every repeat.
   */
  abandon(error: unknown): Promise<void>;
}

/** What to do with an execution: let it run (`running`), answer it without executing (`answer`), or leave it alone (`undefined`). */
export type Admission = { running: RunningMutation } | { answer: ExecutionResult } | undefined;

/**
 * The GraphQL analysis both GraphQL server adapters share: which operation runs, its key (header,
 * `getKey`, argument or `@idempotent(key:)` directive), its fingerprint (the operation as executed: selection, fragments and the
 * coerced variables with their defaults), what the root resolvers did, what is stored and how a
 * replay or a refusal is answered. An adapter only maps its server's hooks onto `admit`; `adapter`
 * names it in configuration errors.
 */
export function createGraphQLIdempotency<TContext>(options: UseIdempotencyOptions<TContext>, adapter: string) {
  const scope = assertScopeOption(options.scope, adapter);
  const { argumentName = useIdempotencyDefaults.argumentName, getKey, shouldStore } = options;
  const engine = createIdempotencyEngine(options);
  const storeIf = shouldStore && ((result: StoredResult) => result === UNSTORABLE_RESULT || shouldStore(result));

  async function admit(execution: GraphQLExecution<TContext>): Promise<Admission> {
    const mutation = findMutation(execution.document, execution.operationName);
    if (!mutation) return undefined;
    try {
      const variables = coerceVariables(execution.schema, mutation.definition, execution.variableValues);
      const key = engine.resolveKey({
        header: execution.header,
        custom: getKey ? await getKey(execution.context) : undefined,
        argument: findKeyArgument(execution.schema, mutation, variables, argumentName),
        directive: findKeyDirective(execution.schema, mutation, variables),
      });
      if (key !== undefined && mutation.streams) throw new IdempotencyStreamUnsupportedError();
      const attempt = await beginAttempt<StoredResult>(engine, {
        scope: await resolveScope(scope, execution.context),
        operation: mutation.identity,
        key,
        input: { ...mutation.shape, variables: variablesAsSent(mutation.definition, execution.variableValues) },
        codec: storedResultCodec,
        ...(storeIf ? { shouldStore: storeIf } : {}),
      });
      if (attempt.status === 'replayed') return { answer: toReplayedResult(attempt.value, execution.overHttp) };
      const roots = new RootOutcomes();
      return {
        running: {
          context: attempt.context,
          roots,
          async finish(result) {
            await roots.settled();
            const outcome = rootReturned(mutation, result) ? RETURNED : roots.outcome();
            await attempt.finish(isSingleResult(result) ? toStoredResult(result) : UNSTORABLE_RESULT, outcome);
          },
          // No result to store: the policy either frees the key or, where it keeps the outcome, the
          // unstorable marker makes every repeat a refusal. A user's shouldStore has no result to judge.
          async abandon(error) {
            await roots.settled();
            const outcome = roots.outcome();
            await (keepsRecord(outcome) ? attempt.finish(UNSTORABLE_RESULT, outcome) : attempt.abandon(error));
          },
        },
      };
    } catch (error) {
      if (!isIdempotencyError(error)) throw error;
      return { answer: idempotencyErrorResult(error, execution.overHttp) };
    }
  }

  return { admit };
}

/**
 * Evidence in the result itself that a root resolver returned, should its tracker have missed it (a
 * root field resolved by an executor the adapter cannot see into): a root field with data, or an
 * error below a root field.
 */
function rootReturned(mutation: MutationOperation, result: unknown): boolean {
  if (!isSingleResult(result)) return false;
  const data = result.data ?? {};
  const responseKeys = mutation.rootFields.map((field) => field.alias?.value ?? field.name.value);
  if (responseKeys.some((key) => data[key] !== null && data[key] !== undefined)) return true;
  return (result.errors ?? []).some((error) => (error.path?.length ?? 0) > 1);
}

/** A single result, not a stream of incremental ones. */
function isSingleResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result) && !Array.isArray(result);
}
