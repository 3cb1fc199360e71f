/** tRPC as most tests build it: superjson, the idempotency error data in every error shape. */
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { idempotencyErrorData, type IdempotencyMeta } from '../../../../src/trpc/index.js';

/** The context the harness's standalone server gives every call (`user` from `x-user`, `req`, `res`). */
export interface Ctx {
  user: string | undefined;
  req?: unknown;
  res?: unknown;
}

/** tRPC with superjson and the idempotency error data in every error shape. */
export function makeT<C extends object = Ctx>() {
  return initTRPC
    .context<C>()
    .meta<IdempotencyMeta>()
    .create({
      transformer: superjson,
      errorFormatter: ({ shape, error }) => ({
        ...shape,
        data: { ...shape.data, idempotency: idempotencyErrorData(error) },
      }),
    });
}
