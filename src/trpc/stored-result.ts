import { TRPCError, type TRPC_ERROR_CODE_KEY, type TRPCDataTransformer } from '@trpc/server';
import type { ResultCodec } from '../core/engine.js';
import { fromPortableError, toPortableError, type PortableError } from '../core/portable-error.js';
import { superjsonInstance as serializer } from '../core/serializer.js';
import type { MiddlewareResult } from './outcome.js';
import { superjsonRegistries, unstorablePart } from './storable.js';

/** The stored form of a procedure's result: its output, or its error's code, message and cause. */
type StoredResult =
  | { ok: true; data: unknown }
  | { ok: false; error: { code: TRPC_ERROR_CODE_KEY; message: string; cause?: PortableError } };

/**
 * The stored form of an output serialized by the app's transformer: `wire` is what
 * `transformer.serialize` gave, as tRPC sends it. superjson's own output (the other form) never
 * has a `transformed` property at the top.
 */
interface TransformedOutput {
  transformed: true;
  wire?: unknown;
}

/**
 * How a procedure's result is stored and replayed. An output is stored with `transformer` when
 * given (the app's, so the types registered on it come back as they were sent), else with the
 * library's superjson instance (`serializer`); an output that could not come back as the same
 * value is not stored (see `unstorablePart`): stringify throws, so every repeat is refused, never
 * run again. An error is stored with `serializer`: the `TRPCError` is rebuilt with the same
 * code, message and cause (see `toPortableError`), so the `errorFormatter` shapes the replay as it
 * shaped the original.
 */
export function resultCodec<TContextOverride>(
  transformer?: TRPCDataTransformer,
): ResultCodec<MiddlewareResult<TContextOverride>> {
  const registries = superjsonRegistries(transformer ?? serializer);
  return {
    stringify(result) {
      if (result.ok) {
        const unstorable = unstorablePart(result.data, registries);
        if (unstorable !== undefined)
          throw new TypeError(`The procedure's output cannot be stored for replay: ${unstorable}.`);
        if (transformer)
          return JSON.stringify({
            transformed: true,
            wire: transformer.serialize(result.data),
          } satisfies TransformedOutput);
      }
      return serializer.stringify(toStored(result));
    },
    parse(text) {
      const parsed: unknown = JSON.parse(text);
      if (isTransformedOutput(parsed))
        return fromStored({ ok: true, data: (transformer ?? serializer).deserialize(parsed.wire as never) });
      return fromStored(serializer.deserialize<StoredResult>(parsed as Parameters<typeof serializer.deserialize>[0]));
    },
  };
}

function isTransformedOutput(value: unknown): value is TransformedOutput {
  return typeof value === 'object' && value !== null && (value as { transformed?: unknown }).transformed === true;
}

function toStored(result: MiddlewareResult<unknown>): StoredResult {
  if (result.ok) return { ok: true, data: result.data };
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
  return stored.ok
    ? { marker, ok: true, data: stored.data }
    : { marker, ok: false, error: replayedError(stored.error) };
}

function replayedError({
  code,
  message,
  cause,
}: {
  code: TRPC_ERROR_CODE_KEY;
  message: string;
  cause?: PortableError;
}): TRPCError {
  const error = new TRPCError({ code, message });
  // Set as restored: passed to the constructor, a registered class that is not an `Error` would be wrapped.
  if (cause)
    Object.defineProperty(error, 'cause', { value: fromPortableError(cause), writable: true, configurable: true });
  return error;
}
