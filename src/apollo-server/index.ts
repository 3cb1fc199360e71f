/**
 * `idempotent-mutations/apollo-server`: {@link idempotencyPlugin}, the Apollo Server 5 plugin that
 * makes GraphQL mutations safe to retry with an `Idempotency-Key`.
 */

/** The plugin and its options (the same as `useIdempotency`'s, read against Apollo Server's context value). */
export { idempotencyPlugin, type IdempotencyPluginOptions } from './plugin.js';
/**
 * The defaults of the GraphQL-specific options (`headerName`, `argumentName`), shared with
 * `useIdempotency`; what resolvers find under `contextValue.idempotency` while a mutation runs.
 */
export {
  graphqlIdempotencyDefaults as idempotencyPluginDefaults,
  type GraphQLIdempotencyContext,
} from '../graphql/index.js';
