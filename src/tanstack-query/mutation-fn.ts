import type { MutationFunctionContext } from '@tanstack/query-core';
import { newIdempotencyKey, type KeyGeneratorOptions } from '../core/client-key.js';

/** Options of {@link idempotentMutationFn}. */
export interface IdempotentMutationFnOptions<TVariables> extends KeyGeneratorOptions {
  /**
   * The caller's own key for a `mutate()` call, read from its variables (e.g. a key minted when a
   * form opened, kept with the form); `undefined` falls back to a minted key. Use it when a key must
   * outlive the page: a mutation persisted and resumed after a reload is executed again with new
   * internals and would otherwise get a new key. Defaults to none: every execution mints its key.
   */
  keyFrom?: (variables: TVariables) => string | undefined;
}

/** The function {@link idempotentMutationFn} wraps: a mutation that sends `key` as its idempotency key. */
export type KeyedMutationFunction<TData, TVariables> = (
  variables: TVariables,
  key: string,
  context: MutationFunctionContext,
) => Promise<TData>;

/**
 * A TanStack Query `mutationFn` that hands `fn` one idempotency key per mutation execution: the same
 * key on every `retry` of one `mutate()` call, a new key for the next `mutate()` call.
 *
 * How an execution is recognised: TanStack Query's `Mutation.execute()` builds one
 * `MutationFunctionContext` object (`{ client, meta, mutationKey }`) per `mutate()` call and its
 * retryer calls `mutationFn(variables, thatContext)` again on every retry, so the key is kept in a
 * `WeakMap` under that context object. The variables object is not used: two `mutate()` calls may
 * pass the same object (a constant, a memoised form value) and must still get two keys. A paused
 * mutation that resumes (offline, `networkMode`, a mutation `scope`) keeps its retryer and so its
 * key; one restored from a persisted cache is executed anew and gets a new key unless `keyFrom`
 * gives it one. The key is released with the mutation: nothing is stored beyond it.
 *
 * Needs a TanStack Query that passes the context as `mutationFn`'s second argument (5.89 and
 * newer, the peer range); with an older one the call rejects with a `TypeError` rather than mint a
 * key per attempt.
 *
 * @example
 * // tRPC client with idempotencyLink() before retryLink/httpLink and idempotencyHeaders() in httpLink:
 * new MutationObserver(queryClient, {
 *   retry: 3,
 *   mutationFn: idempotentMutationFn((input: { amount: number }, key) =>
 *     trpc.pay.mutate(input, { context: { idempotencyKey: key } }),
 *   ),
 * });
 */
export function idempotentMutationFn<TData, TVariables = void>(
  fn: KeyedMutationFunction<TData, TVariables>,
  options: IdempotentMutationFnOptions<TVariables> = {},
): (variables: TVariables, context: MutationFunctionContext) => Promise<TData> {
  const { generateKey = newIdempotencyKey, keyFrom } = options;
  const keys = new WeakMap<object, string>();
  return async (variables, context) => {
    if (typeof context !== 'object' || context === null) {
      throw new TypeError(
        'idempotentMutationFn: no MutationFunctionContext was passed; use it as the mutationFn of a TanStack Query version that passes one (v5 with MutationFunctionContext)',
      );
    }
    let key = keys.get(context);
    if (key === undefined) {
      key = keyFrom?.(variables) ?? generateKey();
      keys.set(context, key);
    }
    return fn(variables, key, context);
  };
}
