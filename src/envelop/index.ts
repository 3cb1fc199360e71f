/**
 * `idempotent-mutations/graphql`: {@link useIdempotency}, the Envelop plugin for GraphQL Yoga and
 * any Envelop server, and Shopify's `@idempotent(key:)` directive helpers.
 */
export { useIdempotency, useIdempotencyDefaults, type UseIdempotencyOptions } from './use-idempotency.js';
export {
  IDEMPOTENT_DIRECTIVE,
  idempotentDirectiveTypeDefs,
  IdempotentDirectiveOnRootMutationRule,
  misplacedIdempotentDirectives,
  type GraphQLIdempotencyContext,
} from '../graphql/index.js';
