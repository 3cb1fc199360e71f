import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, type DocumentNode } from 'graphql';
import {
  assertSupportedGraphQL,
  createGraphQLIdempotency,
  graphqlIdempotencyDefaults,
  isRootMutationField,
  misplacedIdempotentDirectives,
  type GraphQLIdempotencyContext,
  type GraphQLIdempotencyOptions,
  type RunningMutation,
} from '../graphql/index.js';
import { operationHead, replaceWithRefusal, toRefusalResponse, toReplayResponse, toStoredResult } from './response.js';

/**
 * Options of {@link idempotencyPlugin}: the same as `useIdempotency`'s ({@link GraphQLIdempotencyOptions}),
 * read against Apollo Server's context value: `scope(contextValue)` gives the user / tenant (required:
 * there is no default), `getKey(contextValue)` adds a key carrier (the header is still read, and
 * they must agree), `headerName` (defaults to `'Idempotency-Key'`) is read from the operation's HTTP
 * request, `argumentName` defaults to `'idempotencyKey'`, and `shouldStore` sees the result as
 * Apollo Server sends it, after `formatError`.
 * Every engine option (`store`, `ttl`, `lease`, `concurrent`, `failMode`, …) keeps its default.
 *
 * A header sent twice reaches Apollo Server joined into one `a, b` value (its `HeaderMap` keeps one
 * value per name): it is refused as a malformed key unless the joined text happens to be one valid
 * RFC 8941 string.
 */
export type IdempotencyPluginOptions<TContext extends BaseContext = BaseContext> = GraphQLIdempotencyOptions<TContext>;

/** The graphql majors Apollo Server 5 declares as its peer (`^16.11.0`): graphql 17 is refused at plugin creation. */
export const APOLLO_SERVER_GRAPHQL_MAJORS: readonly number[] = [16];

/** What a request that admitted a mutation keeps until it ends. */
interface Pending {
  mutation: RunningMutation;
  /** Whether execution started (the mutation's resolvers may have run). */
  executing: boolean;
  /** The response headers as execution started: what execution changed is what the mutation produced. */
  headersBefore?: Map<string, string>;
  /** The response headers execution set or changed (resolvers, errors' `extensions.http`): the ones stored. */
  produced?: ReadonlySet<string>;
}

/**
 * Apollo Server 5 plugin that makes mutations idempotent. A mutation sent with an `Idempotency-Key`
 * (HTTP header, `getKey`, or argument) runs once per scope, operation and key; every retry gets the
 * stored result, marked replayed (`Idempotent-Replayed: true` and `extensions.idempotency.replayed`),
 * with the original status and the response headers the mutation produced (set during execution,
 * by a resolver or an error's `extensions.http`; never `set-cookie` nor transport headers). Headers
 * the retry's own plugins set keep the retry's values. Queries and subscriptions pass through untouched.
 *
 * Throws at creation unless graphql 16 is installed: Apollo Server 5 supports graphql ^16.11.0 only.
 *
 * List it last in `plugins`, so it stores the response as the other plugins leave it.
 *
 * Hooks: `responseForOperation` admits the operation (a replay or a refusal is answered there, without
 * executing; refusals carry the status of the error: 400, 401, 409 with `Retry-After`, 422, 503);
 * `willSendResponse` stores the response as it is sent, after `formatError`. An attempt whose request
 * fails before execution, whose execution throws, or whose pipeline throws is ended there and then, so
 * no key stays locked. Resolvers of a running mutation find {@link GraphQLIdempotencyContext} under
 * `contextValue.idempotency`.
 *
 * In a batched HTTP request (`allowBatchedHttpRequests`), the operations share one response status and
 * header set (Apollo Server's rule), written by each of them: a stored result carries the status and
 * headers of its own errors' `extensions.http` only (200 without), never a sibling's (its refusal, its
 * replay, its errors) nor those resolvers or plugins set on the shared head. A key header on a batched
 * request is refused (`IDEMPOTENCY_KEY_INVALID`): it would be one key for every operation; such
 * operations carry their keys as arguments.
 *
 * @example
 * new ApolloServer<Context>({ typeDefs, resolvers, plugins: [idempotencyPlugin<Context>({ store: createRedisStore({ redis }), scope: (ctx) => ctx.user?.id })] })
 */
export function idempotencyPlugin<TContext extends BaseContext = BaseContext>(
  options: IdempotencyPluginOptions<TContext>,
): ApolloServerPlugin<TContext> {
  assertSupportedGraphQL(
    'idempotencyPlugin',
    APOLLO_SERVER_GRAPHQL_MAJORS,
    'Apollo Server 5 supports graphql ^16.11.0',
  );
  const { admit } = createGraphQLIdempotency(options, 'idempotencyPlugin');
  const headerName = options.headerName ?? graphqlIdempotencyDefaults.headerName;
  const pending = new WeakMap<GraphQLRequestContext<TContext>, Pending>();
  /** Apollo Server takes no validation rules from a plugin: misplaced `@idempotent` directives are found here, once per document. */
  const misplaced = new WeakMap<DocumentNode, readonly GraphQLError[]>();

  /** Takes a request's mutation out of `pending`, so that whichever hook ends it comes first and alone. */
  function take(requestContext: GraphQLRequestContext<TContext>): Pending | undefined {
    const request = pending.get(requestContext);
    pending.delete(requestContext);
    return request;
  }

  /**
   * Ends a request's mutation, at most once: stores what is sent once execution ran, else frees the
   * key. In a batch the stored status and headers are the operation's own (its errors'), never the
   * shared head's: a sibling's refusal (a 409, a failed commit's 500) must not be replayed as this
   * operation's answer forever.
   */
  async function end(requestContext: GraphQLRequestContext<TContext>, error?: unknown): Promise<void> {
    const request = take(requestContext);
    if (!request) return;
    const { response } = requestContext;
    if (request.executing && response.body) {
      const own = requestContext.requestIsBatched && operationHead(requestContext.errors);
      const refusal = await request.mutation.finish(
        own
          ? toStoredResult({ http: own, body: response.body }, new Set(own.headers.keys()))
          : toStoredResult({ http: response.http, body: response.body }, request.produced ?? new Set()),
      );
      // The writes made through tx() did not commit: the error, never the value.
      if (refusal) replaceWithRefusal(response, refusal, !!requestContext.request.http);
    } else await request.mutation.abandon(error ?? new Error('The request ended before its execution.'));
  }

  return {
    async requestDidStart(started): Promise<GraphQLRequestListener<TContext>> {
      return {
        async didResolveOperation({ schema, document }) {
          let errors = misplaced.get(document);
          if (!errors) misplaced.set(document, (errors = misplacedIdempotentDirectives(schema, document)));
          const [error] = errors;
          if (error)
            throw new GraphQLError(error.message, {
              nodes: error.nodes,
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
        },
        async responseForOperation(requestContext) {
          const http = requestContext.request.http;
          const admission = await admit({
            schema: requestContext.schema,
            document: requestContext.document,
            operationName: requestContext.request.operationName,
            variableValues: requestContext.request.variables,
            context: requestContext.contextValue,
            header: () => http?.headers.get(headerName),
            // Apollo Server does not say how many operations a batch holds: any batch counts.
            batched: requestContext.requestIsBatched,
          });
          if (!admission) return null;
          if ('replay' in admission)
            return toReplayResponse(admission.replay, !!http, requestContext.response.http.headers);
          if ('refusal' in admission) return toRefusalResponse(admission.refusal, !!http);
          pending.set(started, { mutation: admission.running, executing: false });
          (requestContext.contextValue as { idempotency?: GraphQLIdempotencyContext }).idempotency =
            admission.running.context;
          return null;
        },
        async executionDidStart({ response }) {
          const request = pending.get(started);
          if (request) {
            request.executing = true;
            request.headersBefore = new Map(response.http.headers);
          }
          return {
            // The root mutation resolvers are the body: the shared policy needs to know which returned or threw.
            ...(request && {
              willResolveField({ info }) {
                if (!isRootMutationField(info)) return undefined;
                const root = request.mutation.roots.started();
                return (error) => (error ? root.threw(error) : root.returned());
              },
            }),
            async executionDidEnd(error) {
              // Execution threw (no result): free the key unless a root resolver returned.
              if (error) await take(started)?.mutation.abandon(error);
              else if (request) request.produced = changedHeaders(request.headersBefore, started.response.http.headers);
            },
          };
        },
        async willSendResponse() {
          // Apollo Server follows every didEncounterErrors with willSendResponse: a request that failed
          // or was answered by another plugin before execution ends here too, its key freed.
          await end(started);
        },
      };
    },
    async unexpectedErrorProcessingRequest({ requestContext, error }) {
      // A hook threw, so willSendResponse may not run: store what execution produced, or free the key.
      await end(requestContext, error);
    },
  };
}

/** The names of the headers in `after` that are new or changed since `before`. */
function changedHeaders(
  before: ReadonlyMap<string, string> | undefined,
  after: Iterable<[string, string]>,
): Set<string> {
  const changed = new Set<string>();
  for (const [name, value] of after) if (before?.get(name) !== value) changed.add(name);
  return changed;
}
