export { idempotency, type TrpcIdempotencyContext, type IdempotencyMiddleware } from './middleware.js';
export {
  trpcIdempotencyDefaults,
  type IdempotencyCall,
  type IdempotencyMeta,
  type IdempotencyProcedureOptions,
  type ProcedureOutcome,
  type TrpcIdempotencyOptions,
} from './options.js';
export type { RawKey } from '../core/key.js';
export {
  IdempotencyContextError,
  idempotencyErrorData,
  toTRPCError,
  trpcErrorCodes,
  type IdempotencyErrorData,
} from './errors.js';
