export { useIdempotency } from './use-idempotency.js';
export { useIdempotencyDefaults, type IdempotencyContext, type UseIdempotencyOptions } from './options.js';
export {
  IDEMPOTENT_DIRECTIVE,
  idempotentDirectiveTypeDefs,
  IdempotentDirectiveOnRootMutationRule,
  misplacedIdempotentDirectives,
} from './key-directive.js';
