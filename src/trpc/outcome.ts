import { TRPCError, type TRPC_ERROR_CODE_KEY, type TRPCMiddlewareFunction } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { ProcedureOutcome } from './options.js';

/** What a middleware returns, as tRPC types it. */
export type MiddlewareResult<TContextOverride> = Awaited<
  ReturnType<TRPCMiddlewareFunction<unknown, unknown, object, TContextOverride, unknown>>
>;

/** The stored form of a {@link ProcedureOutcome}: the output, or the error's code and message. */
export type StoredOutcome = { ok: true; data: unknown } | { ok: false; error: { code: TRPC_ERROR_CODE_KEY; message: string } };

/** Client errors that say "not now" rather than "no": replaying them for a whole `ttl` would be wrong. */
const TRANSIENT_CLIENT_ERRORS: ReadonlySet<TRPC_ERROR_CODE_KEY> = new Set(['TIMEOUT', 'CONFLICT', 'TOO_MANY_REQUESTS', 'CLIENT_CLOSED_REQUEST']);

/**
 * Stores outputs and client errors (4xx); frees the key after a server error (5xx, or a thrown
 * non-`TRPCError`) and after a transient client error (408, 409, 429, 499), so a retry runs again.
 */
export function storeUnlessServerError(outcome: ProcedureOutcome): boolean {
  if (outcome.ok) return true;
  return getHTTPStatusCodeFromError(outcome.error) < 500 && !TRANSIENT_CLIENT_ERRORS.has(outcome.error.code);
}

/** The form of an outcome that is stored for replay. */
export function toStoredOutcome(outcome: ProcedureOutcome): StoredOutcome {
  if (outcome.ok) return { ok: true, data: outcome.data };
  return { ok: false, error: { code: outcome.error.code, message: outcome.error.message } };
}

/** Answers a repeat with a stored outcome: its output, or a `TRPCError` with the stored code and message. */
export function replayOutcome<TContextOverride>(stored: StoredOutcome): MiddlewareResult<TContextOverride> {
  if (!stored.ok) throw new TRPCError(stored.error);
  return answerWithoutNext(stored.data);
}

/**
 * tRPC has no public way for a middleware to answer without calling `next()`, and a replay must not
 * call it: that would run the procedure. `next()` results carry a brand (`marker`) so that a
 * middleware cannot forget to return them; the only other producer is tRPC's own resolver middleware
 * (`createResolver` in @trpc/server's procedureBuilder), which returns
 * `{ marker: 'middlewareMarker', ok: true, data, ctx }`. This builds the same object. At run time tRPC
 * reads only `ok` and `data` (checked against @trpc/server 11.25); the marker satisfies the type.
 */
function answerWithoutNext<TContextOverride>(data: unknown): MiddlewareResult<TContextOverride> {
  return { marker: 'middlewareMarker' as MiddlewareResult<TContextOverride>['marker'], ok: true, data };
}
