import type { TRPCMiddlewareFunction } from '@trpc/server';
import { IdempotencyCommitFailedError, IdempotencyKeyInvalidError, isIdempotencyError } from '../core/errors.js';
import { REPLAYED_HEADER, errorHeaders } from '../core/http.js';
import type { RawKey } from '../core/key.js';
import { unkeyedRunContext, type RunContext } from '../core/run-context.js';
import { idempotencyDefaults } from '../core/options.js';
import { assertScopeOption, resolveScope } from '../core/scope.js';
import { createIdempotencyEngine } from '../engine.js';
import {
  batchSize,
  exposesRequestHeaders,
  isForeignCall,
  readRequestHeader,
  setResponseHeaders,
} from './context-headers.js';
import { IdempotencyContextError, toTRPCError } from './errors.js';
import { inputKey } from './input-key.js';
import {
  trpcIdempotencyDefaults,
  type IdempotencyCall,
  type IdempotencyMeta,
  type IdempotencyProcedureOptions,
  type TrpcIdempotencyOptions,
} from './options.js';
import { bodyOutcome, type MiddlewareResult } from './outcome.js';
import { outputTransformer } from './storable.js';
import { calledOverTransport, enclosingCall, runAsCall, type CallTrace, type KeyedBody } from './running-call.js';
import { resultCodec } from './stored-result.js';

/** What the middleware adds to the context of the procedures after it. */
export interface TrpcIdempotencyContext {
  /** The key of this call, the fencing token of this acquisition, takeover and derived keys (see {@link RunContext}). */
  idempotency: RunContext;
}

/**
 * The run contexts this module's middlewares handed to `next()`, each with the `getRawInput` of
 * the call it was handed for (tRPC passes that same function to every middleware of one call), so
 * that a second idempotency middleware on the same call (a base procedure that has one, and
 * `.use(idempotent)` again) sees that the call is handled already. Weak: nothing outlives the call.
 */
const handledCalls = new WeakMap<object, unknown>();

/** The middleware {@link idempotency} returns; pass it to `.use()`. */
export type IdempotencyMiddleware<TContext> = TRPCMiddlewareFunction<
  TContext,
  unknown,
  object,
  TrpcIdempotencyContext,
  unknown
>;

/**
 * Creates a tRPC middleware that runs each mutation at most once per idempotency key and answers
 * repeats with the stored result. Queries and subscriptions pass through.
 *
 * Place it after the middlewares that find the caller (its `scope` reads their context) and before
 * `.input()` / `.output()`: what runs between it and the procedure is seen as part of the procedure.
 * An input validator there that refuses the input as the first thing after this middleware means the
 * procedure never started: nothing is stored, the key is freed (see `isInputValidationFailure`; a
 * refusal after another validator or middleware is stored);
 * an output refused by an `.output()` validator there is stored and replayed (the procedure ran).
 * A middleware there that throws after its `next()` returned looks as if the procedure threw; a
 * timeout middleware there frees the key while the procedure still runs: place it before this one.
 *
 * Fails closed where it cannot see: a mutation called over a transport (tRPC hands it a `signal`)
 * whose context shows no request headers and that carries no key in its input field is refused
 * with {@link IdempotencyContextError} unless `getKey` finds its key. A call made from inside another
 * procedure (`createCaller(ctx)`), or without a transport `signal` of its own, never takes its key
 * from the header in its context.
 *
 * A replayed error is rebuilt as a `TRPCError` with the original code, message and cause, so the
 * `errorFormatter` shapes it as it shaped the original. A cause of a class superjson does not know
 * comes back as an `Error` with the same name, message and own enumerable properties; where the
 * formatter tests `cause instanceof SomeError`, register the class on the library's superjson
 * instance, `serializer` from `idempotent-mutations`, before the first call:
 * `serializer.registerClass(PaymentDeclinedError, { identifier: 'PaymentDeclinedError' })`, or for
 * zod 4, whose `ZodError` keeps its issues non-enumerable and answers `instanceof` by its internals
 * (superjson walks what `serialize` gives for an `Error`: make it an object):
 * `serializer.registerCustom<ZodError, { issues: string }>({ isApplicable: (v): v is ZodError => v instanceof ZodError,
 * serialize: (e) => ({ issues: JSON.stringify(e.issues) }), deserialize: ({ issues }) => new ZodRealError(JSON.parse(issues)) }, 'ZodError')`.
 *
 * A replayed output is the stored one, serialized with the option `transformer`: pass the
 * transformer given to `initTRPC.create()`, so that the types registered on it replay as they were
 * sent. An output that cannot come back as the same value (a Promise or stream in it, a class the
 * transformer does not restore) is not stored: its repeats are refused, never run again.
 *
 * In a batch (`httpBatchLink`) of several calls, the key header is refused (`BAD_REQUEST`, nothing
 * runs): it would be one key for several calls. Each call's key then goes in its input field.
 *
 * Applied twice on one procedure (a base procedure with it, and `.use(idempotent)` again), the
 * inner one sees that the outer one handles the call, and passes it through.
 * @example
 * const idempotent = idempotency<Context>({ store: createRedisStore({ redis }), scope: ({ ctx }) => ctx.user?.id, transformer: superjson });
 * const pay = t.procedure.use(idempotent).input(schema).mutation(({ input }) => charge(input));
 * @typeParam TContext - The procedures' context. It is only known where `.use()` is called, so it defaults to
 * `any` (`scope: ({ ctx }) => ctx.user?.id` compiles without a type argument); `idempotency<Context>(…)` checks it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function idempotency<TContext = any>(
  options: TrpcIdempotencyOptions<TContext>,
): IdempotencyMiddleware<TContext> {
  const {
    scope: scopeOption,
    headerName = trpcIdempotencyDefaults.headerName,
    inputField = trpcIdempotencyDefaults.inputField,
    getKey,
    shouldStore,
    transformer,
    ...engineOptions
  } = options;
  const required = engineOptions.required ?? idempotencyDefaults.required;
  const scope = assertScopeOption(scopeOption, 'idempotency()');
  const engine = createIdempotencyEngine(engineOptions);
  const codec = resultCodec<TrpcIdempotencyContext>(transformer && outputTransformer(transformer));

  return async function idempotencyMiddleware(opts) {
    const outer = (opts.ctx as { idempotency?: unknown }).idempotency;
    if (typeof outer === 'object' && outer !== null && handledCalls.get(outer) === opts.getRawInput) {
      return opts.next({ ctx: { idempotency: outer as RunContext } });
    }
    const enclosing = enclosingCall();
    if (enclosing) enclosing.nestedCallRan = true;
    const trace: CallTrace = { rawInputReads: 0, firstReadOnHandOver: false, nestedCallRan: false };
    let handingOver = false;
    // Handed on, so this call's input validator (after this middleware) shows when it read the raw input.
    const getRawInput = () => {
      trace.rawInputReads += 1;
      if (trace.rawInputReads === 1) trace.firstReadOnHandOver = handingOver;
      return opts.getRawInput();
    };
    const next = (idempotency: RunContext) => {
      handledCalls.set(idempotency, getRawInput);
      trace.context = idempotency;
      // tRPC's types take `ctx` or `getRawInput`; `callRecursive` (procedureBuilder.ts, @trpc/server 11) reads both.
      const nextOptions = { ctx: { idempotency }, getRawInput };
      handingOver = true;
      try {
        return runAsCall(trace, () => opts.next(nextOptions));
      } finally {
        handingOver = false;
      }
    };
    const procedure = procedureOptions(opts.meta);
    if (opts.type !== 'mutation' || procedure === false) return next(unkeyedRunContext());
    const { path, meta } = opts;
    const ctx = opts.ctx as TContext; // tRPC types it as TContext overwritten with no overrides: the same type.
    try {
      const call: IdempotencyCall<TContext> = { ctx, path, meta, rawInput: await opts.getRawInput() };
      // The request headers in ctx are this call's own only when a transport called it, at the top of the
      // request: not inside a running call of this middleware (`enclosing`), not through `createCaller(ctx)`
      // without a transport signal (a call nested in a procedure without this middleware, or a server-side
      // call: either way the headers are another request's), not for a path the request does not list.
      const overTransport = calledOverTransport(opts.signal);
      const ownHeaders = !enclosing && overTransport && !isForeignCall(ctx, path);
      const header = ownHeaders ? requestHeader(ctx, headerName, opts.batchIndex, inputField) : undefined;
      const key = engine.resolveKey({
        header: header as RawKey,
        custom: getKey ? await getKey(call) : undefined,
        argument: inputField === false ? undefined : inputKey(call.rawInput, inputField),
      });
      if (key === undefined) {
        // Unkeyed under a keyed call, a nested call is part of its body, run once with it (a procedure
        // that requires a key of its own is refused by the engine); elsewhere the key header in ctx
        // belongs to another call: refused rather than run unkeyed.
        if (enclosing?.body && enclosing.context && !(procedure.required ?? required))
          return await runAsPartOf(enclosing.body, enclosing.context, path, trace, next);
        if (!ownHeaders && !enclosing?.body && present(readRequestHeader(ctx, headerName)))
          throw new IdempotencyContextError(path, headerName, 'foreign-header');
        // A context that hides the request headers hides a key header the client sent; `getKey` finding no
        // key does not show there was none.
        if (ownHeaders && !exposesRequestHeaders(ctx))
          throw new IdempotencyContextError(path, headerName, 'no-headers');
      }
      // The first attempt answers with tRPC's own result (the error keeps its stack); a replay with the codec's.
      const { value, replayed } = await engine.execute<MiddlewareResult<TrpcIdempotencyContext>>({
        scope: await resolveScope(scope, call),
        operation: path,
        key,
        input: call.rawInput,
        required: procedure.required,
        run: key === undefined ? next : (context) => runKeyed(context, trace, next),
        outcome: (result) => bodyOutcome(result, trace),
        shouldStore,
        codec,
      });
      if (replayed) setResponseHeaders(ctx, { [REPLAYED_HEADER]: 'true' });
      return value;
    } catch (error) {
      if (!isIdempotencyError(error)) throw error;
      setResponseHeaders(ctx, errorHeaders(error));
      throw toTRPCError(error);
    }
  };
}

type Next = (idempotency: RunContext) => Promise<MiddlewareResult<TrpcIdempotencyContext>>;

/**
 * Runs the procedure of a keyed call as a {@link KeyedBody}, which the unkeyed calls nested in it
 * join. Where one of them got a client from `tx()` and threw, and the procedure returned anyway (it
 * caught the error), the nested call's writes cannot be rolled back alone: nothing commits, the key
 * is freed and the call is answered `IDEMPOTENCY_COMMIT_FAILED`, as when the database refuses the
 * commit, never with a value whose transaction holds a failed call's writes.
 */
async function runKeyed(context: RunContext, trace: CallTrace, next: Next): ReturnType<Next> {
  const body: KeyedBody = {};
  trace.body = body;
  const result = await next(context);
  if (body.failedCall !== undefined && bodyOutcome(result, trace).returned)
    throw new IdempotencyCommitFailedError(
      new Error(
        `The call ${body.failedCall}, nested in this mutation, wrote through ctx.idempotency.tx() and threw, and the mutation returned anyway: the nested call's writes cannot be rolled back alone, so nothing was committed.`,
      ),
    );
  return result;
}

/**
 * Runs an unkeyed call nested in a keyed call's body as part of that body: its procedure gets the
 * enclosing call's run context (its key, fence, derived keys and `tx()`), so its writes commit or
 * roll back with the keyed call, once. One that got a client from `tx()` (itself or through calls
 * nested in it) and threw is noted on the body (see {@link KeyedBody.failedCall}).
 */
async function runAsPartOf(
  body: KeyedBody,
  enclosing: RunContext,
  path: string,
  trace: CallTrace,
  next: Next,
): ReturnType<Next> {
  trace.body = body;
  let gotClient = false;
  const tx = () =>
    enclosing.tx().then((client) => {
      gotClient = true;
      return client;
    });
  const result = await next({ ...enclosing, tx: tx as RunContext['tx'] });
  if (!result.ok && gotClient) body.failedCall ??= path;
  return result;
}

/**
 * The key header of this call, refused when the request is a batch of several calls: a header
 * belongs to the whole request, so it would be one key for all of them (the second call would be
 * answered with the first one's result).
 */
function requestHeader(ctx: unknown, headerName: string, batchIndex: number, inputField: string | false): unknown {
  const header = readRequestHeader(ctx, headerName);
  if (!present(header)) return header;
  const calls = batchSize(ctx, batchIndex);
  if (calls > 1) {
    const instead =
      inputField === false
        ? 'send each keyed call in a request of its own'
        : `send each call's key in its input field \`${inputField}\``;
    throw new IdempotencyKeyInvalidError(`A batch of ${calls} calls shares one ${headerName} header; ${instead}.`);
  }
  return header;
}

/** Whether a raw header value says the header was sent (an empty list or `null` says it was not). */
function present(header: unknown): boolean {
  return header !== undefined && header !== null && !(Array.isArray(header) && header.length === 0);
}

/** The procedure's `meta.idempotency`: `false` when switched off, else its settings. */
function procedureOptions(meta: unknown): IdempotencyProcedureOptions | false {
  const settings = (meta as IdempotencyMeta | undefined)?.idempotency;
  return settings === false ? false : (settings ?? {});
}
