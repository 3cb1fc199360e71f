/**
 * The server-neutral GraphQL kit the GraphQL server adapters (`src/envelop`, `src/apollo-server`)
 * share: finding the mutation, its key carriers, its fingerprint, what its root resolvers did, and
 * the stored result in a form no server owns. Internal: the public GraphQL entry points are
 * `idempotent-mutations/graphql` (the Envelop / Yoga plugin) and `idempotent-mutations/apollo-server`.
 */
export {
  createGraphQLIdempotency,
  type Admission,
  type GraphQLExecution,
  type RunningMutation,
} from './graphql-idempotency.js';
export { assertSupportedGraphQL, graphqlMajor, SUPPORTED_GRAPHQL_MAJORS } from './graphql-compat.js';
export {
  IDEMPOTENT_DIRECTIVE,
  idempotentDirectiveTypeDefs,
  IdempotentDirectiveOnRootMutationRule,
  misplacedIdempotentDirectives,
} from './key-directive.js';
export {
  graphqlIdempotencyDefaults,
  type GraphQLIdempotencyContext,
  type GraphQLIdempotencyOptions,
} from './options.js';
export {
  isRootMutationField,
  RootOutcomes,
  type RootCall,
  trackedRootValue,
  trackingFieldResolver,
  trackRootResolvers,
} from './root-outcomes.js';
export {
  replayedBody,
  replayedHeaders,
  storableHeaders,
  storedResultCodec,
  UNSTORABLE_RESULT,
  type StoredResult,
} from './stored-result.js';
