import type { TRPCMiddlewareFunction } from '@trpc/server';
import { createIdempotencyEngine, type RunContext } from '../core/engine.js';
import { isIdempotencyError } from '../core/errors.js';
import { REPLAYED_HEADER, errorHeaders } from '../core/http.js';
import { assertScopeOption, resolveScope } from '../core/scope.js';
import { readRequestHeader, setResponseHeaders } from './context-headers.js';
import { toTRPCError } from './errors.js';
import { trpcIdempotencyDefaults, type IdempotencyCall, type IdempotencyMeta, type IdempotencyProcedureOptions, type TrpcIdempotencyOptions } from './options.js';
import { replayOutcome, storeUnlessServerError, toStoredOutcome, type MiddlewareResult, type StoredOutcome } from './outcome.js';

/** What the middleware adds to the context of the procedures after it. */
export interface IdempotencyContext {
  /** The key of this call and the fencing token of this acquisition (see {@link RunContext}). */
  idempotency: RunContext;
}

/** The middleware {@link idempotency} returns; pass it to `.use()`. */
export type IdempotencyMiddleware<TContext> = TRPCMiddlewareFunction<TContext, unknown, object, IdempotencyContext, unknown>;

const NO_KEY: RunContext = { key: undefined, fence: undefined };

/**
 * Creates a tRPC middleware that runs each mutation at most once per idempotency key and answers
 * repeats with the stored result. Queries and subscriptions pass through.
 * @example
 * const idempotent = idempotency<Context>({ store: createRedisStore({ redis }), scope: ({ ctx }) => ctx.user?.id });
 * const pay = t.procedure.use(idempotent).input(schema).mutation(({ input }) => charge(input));
 * @typeParam TContext - The procedures' context. It is only known where `.use()` is called, so it defaults to
 * `any` (`scope: ({ ctx }) => ctx.user?.id` compiles without a type argument); `idempotency<Context>(…)` checks it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function idempotency<TContext = any>(options: TrpcIdempotencyOptions<TContext>): IdempotencyMiddleware<TContext> {
  const {
    scope: scopeOption,
    headerName = trpcIdempotencyDefaults.headerName,
    inputField = trpcIdempotencyDefaults.inputField,
    getKey,
    shouldStore = storeUnlessServerError,
    ...engineOptions
  } = options;
  const scope = assertScopeOption(scopeOption, 'idempotency()');
  const engine = createIdempotencyEngine(engineOptions);

  return async function idempotencyMiddleware(opts) {
    const procedure = procedureOptions(opts.meta);
    if (opts.type !== 'mutation' || procedure === false) return opts.next({ ctx: { idempotency: NO_KEY } });
    const { path, meta } = opts;
    const ctx = opts.ctx as TContext; // tRPC types it as TContext overwritten with no overrides: the same type.
    try {
      const call: IdempotencyCall<TContext> = { ctx, path, meta, rawInput: await opts.getRawInput() };
      const key = engine.resolveKey({
        header: getKey ? await getKey(call) : readRequestHeader(ctx, headerName),
        argument: inputField === false ? undefined : fieldOf(call.rawInput, inputField),
      });
      // The first attempt returns tRPC's own result (the error keeps its cause and stack); a replay rebuilds it.
      let executed: MiddlewareResult<IdempotencyContext> | undefined;
      const { value, replayed } = await engine.execute<StoredOutcome>({
        scope: await resolveScope(scope, call),
        operation: path,
        key,
        input: call.rawInput,
        required: procedure.required,
        run: async (idempotency) => {
          executed = await opts.next({ ctx: { idempotency } });
          return toStoredOutcome(executed);
        },
        shouldStore: () => executed !== undefined && shouldStore(executed),
      });
      if (!replayed && executed) return executed;
      setResponseHeaders(ctx, { [REPLAYED_HEADER]: 'true' });
      return replayOutcome(value);
    } catch (error) {
      if (!isIdempotencyError(error)) throw error;
      setResponseHeaders(ctx, errorHeaders(error));
      throw toTRPCError(error);
    }
  };
}

/** The procedure's `meta.idempotency`: `false` when switched off, else its settings. */
function procedureOptions(meta: unknown): IdempotencyProcedureOptions | false {
  const settings = (meta as IdempotencyMeta | undefined)?.idempotency;
  return settings === false ? false : (settings ?? {});
}

function fieldOf(input: unknown, field: string): unknown {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[field] : undefined;
}
