import type { TRPCCombinedDataTransformer, TRPCDataTransformer, TRPCError } from '@trpc/server';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';
import type { RawKey } from '../core/key.js';
import type { IdempotencyOptions } from '../core/options.js';
import type { ScopeOption } from '../core/scope.js';

/** What `scope`, `getKey` and `shouldStore` learn about one procedure call. */
export interface IdempotencyCall<TContext> {
  /** The procedure's context, as the middlewares before this one left it. */
  ctx: TContext;
  /** The procedure path, such as `payments.create`; the operation identity of the record. */
  path: string;
  /** The procedure's meta, as set with `.meta()`. */
  meta: unknown;
  /** The input as the client sent it (after the transformer, before any validator). */
  rawInput: unknown;
}

/**
 * How a mutation ended: its output, or the `TRPCError` it failed with. A thrown non-`TRPCError`
 * arrives as tRPC's `INTERNAL_SERVER_ERROR` wrapping it; an output refused by the `.output()`
 * validator as tRPC's `INTERNAL_SERVER_ERROR` "Output validation failed" (the procedure did run).
 */
export type ProcedureOutcome = { ok: true; data: unknown } | { ok: false; error: TRPCError };

/** Options of {@link idempotency}. */
export interface TrpcIdempotencyOptions<TContext> extends IdempotencyOptions {
  /**
   * The user / tenant a record belongs to, e.g. `({ ctx }) => ctx.user?.id`; two scopes never see
   * each other's results. A keyed call for which it gives `undefined` or `null` (no caller identity)
   * is refused with `UNAUTHORIZED` and does not run; calls without a key run either way. `false`
   * shares one anonymous scope on purpose. Required: there is no default.
   */
  scope: ScopeOption<IdempotencyCall<TContext>>;
  /**
   * The request header that carries the key, read from `ctx.headers` or `ctx.req.headers` (a plain
   * headers object case-insensitively). Defaults to `'Idempotency-Key'`.
   *
   * A header belongs to the whole HTTP request, and `httpBatchLink` / `httpBatchStreamLink` send
   * several calls in one request (`/a,b?batch=1`): a batch of more than one call that carries the
   * header is refused with `BAD_REQUEST` (`IDEMPOTENCY_KEY_INVALID`) and none of its calls runs,
   * since one key would then stand for several calls. In a batch, send each call's key in its
   * input field (`inputField`), or send keyed mutations through `httpLink` (as
   * `idempotencyLink` does). The batch is seen in `ctx.info` (when `createContext` keeps its
   * `info`), else in the request URL (`ctx.req.url`, Node or fetch); a context that exposes neither
   * shows only the calls after the first (`batchIndex`), whose header is then refused.
   */
  headerName?: string;
  /**
   * The input field that may carry the key instead of the header (the only per-call carrier over
   * WebSocket): a property of an object input, or an entry of a `FormData` input. `false` ignores
   * the input. Defaults to `'idempotencyKey'`.
   */
  inputField?: string | false;
  /**
   * Finds a key's raw value where the context exposes neither `req` nor `headers` (WebSocket
   * connection params, a custom adapter, …), read like a header value. It is one more carrier, not a
   * replacement: the header and the input field are still read, and any two present must agree.
   * Defaults to none: the key comes from `headerName` in `ctx.headers`, else `ctx.req.headers` (a
   * fetch `Headers` or a Node headers object; nothing over WebSocket, where those headers are the
   * connection's, shared by every call on it), or the input field. A value that is not a string
   * (a number from connection params, an object) is a malformed key (`BAD_REQUEST`); `undefined` and
   * `null` mean no key. It does not lift the refusal of a context without request headers: a call
   * over a transport for which it finds no key is refused there, as without it (a key header the
   * client sent cannot be seen); a key it finds is taken. In a nested call (`createCaller(ctx)` inside a
   * procedure) `ctx` holds the outer request's headers: derive the key from `rawInput`, never from them.
   * What it returns is taken as this one call's
   * key: unlike the header, it is not refused in a batch (`httpBatchLink`), so derive it per call
   * (from `rawInput`), never from a value the calls of one request or connection share.
   */
  getKey?: (call: IdempotencyCall<TContext>) => RawKey | Promise<RawKey>;
  /**
   * Overrides the error policy: whether an outcome is stored and replayed (`true`), or the key is
   * freed so a retry runs again (`false`). Defaults to the core's one policy (`keepsRecord`): once
   * the procedure has returned, its outcome is stored, even when the `.output()` validator then
   * refused it; a `TRPCError` with a 4xx code is stored (not an input validator's refusal: the
   * procedure never started, so the key is freed);
   * the key is freed after a 5xx, a thrown non-`TRPCError`, or a transient code (`TIMEOUT` 408,
   * `CONFLICT` 409, `TOO_MANY_REQUESTS` 429, `SERVICE_UNAVAILABLE` 503).
   */
  shouldStore?: (outcome: ProcedureOutcome) => boolean;
  /**
   * How outputs are stored and replayed: pass the transformer given to `initTRPC.create({ transformer })`
   * (e.g. the app's `superjson`), so a type registered on it (`registerClass`, `registerCustom`,
   * `registerSymbol`) is replayed as it was sent the first time; the output half of a combined
   * `{ input, output }` transformer is used. Defaults to the library's superjson instance (`serializer`).
   *
   * An output that would not come back as the same value is not stored, and its repeats are
   * refused with `INTERNAL_SERVER_ERROR` (`IDEMPOTENCY_RESULT_NOT_STORED`), never run again: one
   * that holds a Promise or an async iterable (streamed by `httpBatchStreamLink`), a function, a
   * symbol, or an instance of a class the transformer does not restore. With superjson, those are
   * the classes other than `Object`, `Array`, `Date`, `Map`, `Set`, `RegExp`, `Error`, `URL` and
   * the typed arrays that are not registered on it; with another transformer, every class other
   * than those. Return plain data, or register the class on the transformer.
   * Errors are stored with `serializer` either way (see `idempotency()`).
   */
  transformer?: TRPCDataTransformer | TRPCCombinedDataTransformer;
}

/** Defaults of the tRPC-specific {@link TrpcIdempotencyOptions}. */
export const trpcIdempotencyDefaults = {
  headerName: IDEMPOTENCY_KEY_HEADER,
  inputField: 'idempotencyKey',
} as const satisfies Pick<TrpcIdempotencyOptions<unknown>, 'headerName' | 'inputField'>;

/** Per-procedure settings, given through `.meta({ idempotency: … })`. */
export interface IdempotencyProcedureOptions {
  /** Reject calls of this procedure that carry no key. Defaults to the middleware's `required`. */
  required?: boolean;
}

/**
 * The meta this middleware reads. Add it to your meta type (`initTRPC.meta<IdempotencyMeta>()`)
 * to write `.meta({ idempotency: { required: true } })`, or `.meta({ idempotency: false })` to
 * switch idempotency off for one procedure built on an idempotent base procedure.
 */
export interface IdempotencyMeta {
  idempotency?: IdempotencyProcedureOptions | false;
}
