import type { Operation, TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import {
  formatKeyHeader,
  newIdempotencyKey,
  type KeyGeneratorOptions,
  type KeyHeaderOptions,
} from '../core/client-key.js';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';

/** Options of the tRPC {@link idempotencyLink}. */
export type TrpcIdempotencyLinkOptions = KeyGeneratorOptions;

/** Options of {@link idempotencyHeaders}. */
export type IdempotencyHeadersOptions = KeyHeaderOptions;

/**
 * A tRPC link that gives each mutation call one idempotency key, in `op.context.idempotencyKey`: the
 * key the caller passed (`mutate(input, { context: { idempotencyKey } })`), else a new one. Put it
 * before `retryLink`, which re-sends the same operation, so every retry carries the same key; send
 * the key with {@link idempotencyHeaders} in the terminating `httpLink`.
 */
export function idempotencyLink<TRouter extends AnyTRPCRouter = AnyTRPCRouter>(
  options: TrpcIdempotencyLinkOptions = {},
): TRPCLink<TRouter> {
  const { generateKey = newIdempotencyKey } = options;
  return () =>
    ({ op, next }) => {
      if (op.type !== 'mutation' || typeof op.context.idempotencyKey === 'string') return next(op);
      return next({ ...op, context: { ...op.context, idempotencyKey: generateKey() } });
    };
}

/**
 * The `Idempotency-Key` header of an operation, for `httpLink({ headers: ({ op }) => idempotencyHeaders({ op }) })`.
 * Empty when the operation has no key (queries). Takes one operation, not httpBatchLink's `opList`:
 * a batch shares one set of headers, so send mutations through `splitLink` to an `httpLink`.
 */
export function idempotencyHeaders(
  { op }: { op: Operation },
  options: IdempotencyHeadersOptions = {},
): Record<string, string> {
  const { headerName = IDEMPOTENCY_KEY_HEADER } = options;
  const key = op.context.idempotencyKey;
  return typeof key === 'string' ? { [headerName]: formatKeyHeader(key) } : {};
}
