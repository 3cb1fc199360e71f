export { idempotency, type IdempotencyContext, type IdempotencyMiddleware } from './middleware.js';
export {
  trpcIdempotencyDefaults,
  type IdempotencyCall,
  type IdempotencyMeta,
  type IdempotencyProcedureOptions,
  type ProcedureOutcome,
  type RawKey,
  type TrpcIdempotencyOptions,
} from './options.js';
export {
  IdempotencyContextError,
  idempotencyErrorData,
  toTRPCError,
  trpcErrorCodes,
  type IdempotencyErrorData,
} from './errors.js';
