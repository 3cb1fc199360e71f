import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import type { ResultCodec } from '../core/engine.js';
import { IdempotencyStreamUnsupportedError } from '../core/errors.js';
import { fromPortableError, toPortableError, type PortableError } from '../core/portable-error.js';
import { serializer } from '../core/serializer.js';
import type { MiddlewareResult } from './outcome.js';

/** The stored form of a procedure's result: its output, or its error's code, message and cause. */
type StoredResult =
  | { ok: true; data: unknown }
  | { ok: false; error: { code: TRPC_ERROR_CODE_KEY; message: string; cause?: PortableError } };

/**
 * How a procedure's result is stored and replayed, with the library's superjson instance: the
 * output with its types, or the `TRPCError` rebuilt with the same code, message and cause (see
 * `toPortableError`), so the `errorFormatter` shapes the replay as it shaped the original.
 */
export function resultCodec<TContextOverride>(): ResultCodec<MiddlewareResult<TContextOverride>> {
  return {
    stringify: (result) => serializer.stringify(toStored(result)),
    parse: (text) => fromStored(serializer.parse<StoredResult>(text)),
  };
}

function toStored(result: MiddlewareResult<unknown>): StoredResult {
  if (result.ok) {
    // A stream cannot be replayed; refusing to store it makes every repeat refused, never re-run.
    if (isAsyncIterable(result.data)) throw new IdempotencyStreamUnsupportedError();
    return { ok: true, data: result.data };
  }
  const { code, message, cause } = result.error;
  return { ok: false, error: { code, message, ...(cause !== undefined && { cause: toPortableError(cause) }) } };
}

/**
 * Answers a repeat without calling `next()`, which would run the procedure: tRPC has no public
 * way to do so. `next()` results carry a brand (`marker`) so that a middleware cannot forget to
 * return them; the other producers are tRPC's own resolver middleware (`createResolver` in
 * @trpc/server's procedureBuilder, `{ marker, ok: true, data, ctx }`) and its error path
 * (`callRecursive`, `{ marker, ok: false, error }`); this builds the same objects. At run time tRPC
 * reads only `ok` and `data` / `error` (checked against @trpc/server 11.25); the marker satisfies the type.
 */
function fromStored<TContextOverride>(stored: StoredResult): MiddlewareResult<TContextOverride> {
  const marker = 'middlewareMarker' as MiddlewareResult<TContextOverride>['marker'];
  return stored.ok ? { marker, ok: true, data: stored.data } : { marker, ok: false, error: replayedError(stored.error) };
}

function replayedError({ code, message, cause }: { code: TRPC_ERROR_CODE_KEY; message: string; cause?: PortableError }): TRPCError {
  const error = new TRPCError({ code, message });
  // Set as restored: passed to the constructor, a registered class that is not an `Error` would be wrapped.
  if (cause) Object.defineProperty(error, 'cause', { value: fromPortableError(cause), writable: true, configurable: true });
  return error;
}

function isAsyncIterable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
