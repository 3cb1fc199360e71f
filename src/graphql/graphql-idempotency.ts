import type { DocumentNode, GraphQLSchema } from 'graphql';
import { firstEnding } from '../core/attempt.js';
import {
  IdempotencyKeyInvalidError,
  IdempotencyStreamUnsupportedError,
  isIdempotencyError,
  type IdempotencyError,
} from '../core/errors.js';
import type { RawKey } from '../core/key.js';
import { keepsRecord, RETURNED } from '../core/policy.js';
import type { RunContext } from '../core/run-context.js';
import { assertScopeOption, resolveScope } from '../core/scope.js';
import { createIdempotencyEngine } from '../engine.js';
import { assertSupportedGraphQL } from './graphql-compat.js';
import { findKeyArgument } from './key-argument.js';
import { findKeyDirective } from './key-directive.js';
import { findMutation, type MutationOperation } from './mutation.js';
import { graphqlIdempotencyDefaults, type GraphQLIdempotencyOptions } from './options.js';
import { RootOutcomes } from './root-outcomes.js';
import { UNSTORABLE_RESULT, storedResultCodec, type StoredResult } from './stored-result.js';
import { coerceVariables, variablesAsSent } from './variables.js';

/** One GraphQL execution as a server adapter sees it before it runs. */
export interface GraphQLExecution<TContext> {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Readonly<Record<string, unknown>> | null;
  /** The execution's context object, handed to `scope` and `getKey`. */
  context: TContext;
  /**
   * Reads the key header's raw value(s), where the operation came in an HTTP request; `undefined`
   * otherwise. Called for mutations only; may throw an {@link IdempotencyKeyInvalidError} (a refusal)
   * or any other error (a set-up fault: the server answers 500, nothing runs).
   */
  header: () => RawKey;
  /**
   * Whether the operation shares its HTTP request with other operations (an HTTP batch): a key
   * header would be one key for all of them, so a keyed header is refused.
   */
  batched: boolean;
}

/**
 * A mutation allowed to run: its run context, what its root resolvers do, and how to end it. The
 * first call of `finish` or `abandon` decides; later calls return its promise and do nothing else.
 */
export interface RunningMutation {
  context: RunContext;
  /** The adapter reports here when each root mutation resolver starts, returns or throws. */
  roots: RootOutcomes;
  /**
   * Hands over the result as it is sent, in stored form (`UNSTORABLE_RESULT` for a streamed one);
   * once every root resolver that started is done, stores it or frees the key by the policy.
   * Resolves with the error to send instead of the result when the writes made through
   * `context.idempotency.tx()` did not commit (a 503 lease lost or commit outcome unknown, a 500
   * commit failed); else with `undefined`.
   */
  finish(result: StoredResult): Promise<IdempotencyError | undefined>;
  /**
   * Ends a mutation whose execution produced no result to send (it threw, or was given up): once every
   * root resolver that started is done, frees the key when the policy allows, else refuses every repeat.
   */
  abandon(error: unknown): Promise<void>;
  /** Settles once the mutation has ended, by whichever of `finish` and `abandon` came first. */
  ended: Promise<void>;
}

/**
 * What to do with an execution: let it run (`running`), answer it with a stored result (`replay`)
 * or a refusal (`refusal`) without executing, or leave it alone (`undefined`: not a mutation).
 */
export type Admission =
  { running: RunningMutation } | { replay: StoredResult } | { refusal: IdempotencyError } | undefined;

/**
 * The GraphQL analysis every GraphQL server adapter shares: which operation runs, its key (header,
 * `getKey`, argument or `@idempotent(key:)` directive), its fingerprint (the operation as executed:
 * selection, fragments and the variables with their defaults), what the root resolvers did, and what
 * is stored. An adapter maps its server's hooks onto `admit` and its server's results to and from
 * {@link StoredResult}; `adapter` names it in configuration errors. Throws at creation when the
 * installed graphql is a major the kit cannot read key carriers with.
 */
export function createGraphQLIdempotency<TContext>(options: GraphQLIdempotencyOptions<TContext>, adapter: string) {
  assertSupportedGraphQL(adapter);
  const scope = assertScopeOption(options.scope, adapter);
  const {
    argumentName = graphqlIdempotencyDefaults.argumentName,
    headerName = graphqlIdempotencyDefaults.headerName,
    getKey,
    shouldStore,
  } = options;
  const engine = createIdempotencyEngine(options);
  const storeIf = shouldStore && ((result: StoredResult) => result === UNSTORABLE_RESULT || shouldStore(result.body));

  async function admit(execution: GraphQLExecution<TContext>): Promise<Admission> {
    const mutation = findMutation(execution.document, execution.operationName);
    if (!mutation) return undefined;
    try {
      if (mutation.fragmentArguments)
        throw new IdempotencyKeyInvalidError(
          'A mutation whose root fields take fragment arguments (...F(arg: …)) cannot be read for its idempotency key; pass the values as operation variables.',
        );
      const variables = coerceVariables(execution.schema, mutation.definition, execution.variableValues);
      const header = execution.header();
      if (execution.batched && header !== undefined && header !== null)
        throw new IdempotencyKeyInvalidError(
          `An "${headerName}" header cannot key an HTTP batch: it would be one key for every operation of the batch, and a retry would answer them all with one result. Send one operation per request under its own key header, or send each operation's key as its "${argumentName}" argument.`,
        );
      const key = engine.resolveKey({
        header,
        custom: getKey ? await getKey(execution.context) : undefined,
        argument: findKeyArgument(execution.schema, mutation, variables, argumentName),
        directive: findKeyDirective(execution.schema, mutation, variables),
      });
      if (key !== undefined && mutation.streams) throw new IdempotencyStreamUnsupportedError();
      const attempt = await engine.begin<StoredResult>({
        scope: await resolveScope(scope, execution.context),
        operation: mutation.identity,
        key,
        input: { ...mutation.shape, variables: variablesAsSent(mutation.definition, execution.variableValues) },
        codec: storedResultCodec,
        ...(storeIf ? { shouldStore: storeIf } : {}),
      });
      if (attempt.status === 'replayed') return { replay: attempt.value };
      // Each root field of a mutation with several is a part of the transaction: a root field that
      // threw has its writes rolled back alone, while those of the root fields that returned commit.
      const parts = mutation.rootFields.length > 1 ? attempt.startPart : undefined;
      const roots = new RootOutcomes(parts);
      const first = firstEnding();
      let markEnded!: () => void;
      const ended = new Promise<void>((resolve) => (markEnded = resolve));
      const end = (ending: () => Promise<void>) => first(() => ending().finally(markEnded));
      return {
        running: {
          context: attempt.context,
          roots,
          ended,
          finish: (result) =>
            end(async () => {
              await roots.settled();
              // Root fields run where the tracker could not see (another executor): where the result
              // may carry a root field's error, that field's writes cannot be told apart, so none commit.
              if (parts && !roots.seen && (result === UNSTORABLE_RESULT || (result.body.errors?.length ?? 0) > 0))
                parts().threw();
              await attempt.finish(result, rootReturned(mutation, result, roots.seen) ? RETURNED : roots.outcome());
            }).then(() => undefined, asRefusal),
          // No result to store: the policy either frees the key or, where it keeps the outcome, the
          // unstorable marker makes every repeat a refusal. A user's shouldStore has no result to judge.
          abandon: (error) =>
            end(async () => {
              await roots.settled();
              const outcome = roots.outcome();
              await (keepsRecord(outcome) ? attempt.finish(UNSTORABLE_RESULT, outcome) : attempt.abandon(error));
            }).catch(() => undefined), // the caller gets an error already
        },
      };
    } catch (error) {
      if (!isIdempotencyError(error)) throw error;
      return { refusal: error };
    }
  }

  return { admit };
}

/** The engine's finish rejects only with typed errors; anything else is a bug, never to be answered as a result. */
function asRefusal(error: unknown): IdempotencyError {
  if (isIdempotencyError(error)) return error;
  throw error;
}

/**
 * Evidence in the result itself that a root resolver returned, should its tracker have missed it (a
 * root field resolved by an executor the adapter cannot see into): a root field with data and, only
 * where the tracker saw no root resolver at all, an error below a root field. Where the tracker saw
 * the root resolvers, an error's `path` is no evidence: a root resolver may throw an error with any
 * path (one re-thrown from a downstream GraphQL service), and what it did is the tracker's to say.
 */
function rootReturned(mutation: MutationOperation, result: StoredResult, tracked: boolean): boolean {
  const data = result.body.data ?? {};
  const responseKeys = mutation.rootFields.map((field) => field.alias?.value ?? field.name.value);
  if (responseKeys.some((key) => data[key] !== null && data[key] !== undefined)) return true;
  return !tracked && (result.body.errors ?? []).some((error) => (error.path?.length ?? 0) > 1);
}
