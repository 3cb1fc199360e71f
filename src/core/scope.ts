import { sha256Hex } from './sha256.js';

/**
 * What a `scope` function may return: the caller's user / tenant id, as a non-empty string or a
 * finite number (`42` and `'42'` are the same scope). `undefined`, `null` and `''` mean "no caller
 * identity": a keyed request is then refused (401 `IDEMPOTENCY_SCOPE_MISSING`) and nothing runs.
 * Anything else (an object such as the user record instead of its id, a boolean, `NaN`, a symbol)
 * is a configuration error: the request fails with a `TypeError` naming the option, and nothing
 * runs — it is never turned into a string, where every object would be `"[object Object]"` and all
 * users would share one scope. Only the option `scope: false` selects the shared anonymous scope.
 */
export type ScopeValue = string | number | null | undefined;

/**
 * How the user / tenant scope of a request is found. A function of the transport's context, or
 * `false` to share one anonymous scope on purpose (every caller can then replay every other
 * caller's results for the same key).
 */
export type ScopeOption<TContext> = ((context: TContext) => ScopeValue | Promise<ScopeValue>) | false;

/** Throws a configuration error when `scope` was left out: anonymous use must be an explicit choice. */
export function assertScopeOption<TContext>(
  scope: ScopeOption<TContext> | undefined,
  adapter: string,
): ScopeOption<TContext> {
  if (scope === undefined) {
    throw new TypeError(
      `${adapter}: the "scope" option is required, e.g. scope: (ctx) => ctx.user?.id. ` +
        'Pass scope: false to share one anonymous scope on purpose.',
    );
  }
  return scope;
}

/**
 * Evaluates the scope for one request: the caller's id as a string, `null` for the shared anonymous
 * scope (only from `scope: false`), or `undefined` when the function found no identity (it returned
 * `undefined`, `null` or `''`). Throws a `TypeError` when it returned anything but a string or a
 * finite number (see {@link ScopeValue}); `adapter` names where the option was given, for that message.
 */
export async function resolveScope<TContext>(
  scope: ScopeOption<TContext>,
  context: TContext,
  adapter?: string,
): Promise<string | null | undefined> {
  if (scope === false) return null;
  return scopeIdentity(await scope(context), adapter);
}

/** The caller's id `value` as a string, `undefined` for no identity; throws a `TypeError` for any other value. */
function scopeIdentity(value: unknown, adapter: string | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  const got = typeof value === 'number' ? String(value) : Array.isArray(value) ? 'array' : typeof value;
  throw new TypeError(
    `${adapter ? `${adapter}: the` : 'idempotency'} option "scope" must return the caller's id as a string or number, got ${got}. ` +
      'Return an id such as ctx.user?.id, not the user object; undefined, null or an empty string mean "no identity".',
  );
}

/** Scope ids computed lately, by scope: most requests come from callers seen a moment ago. */
const recentScopeIds = new Map<string | null, string>();
/** Entries kept before the memo starts over; a few hundred KiB at most. */
const RECENT_SCOPES = 1024;

/** The hashed scope a store may keep quotas by: no user id is readable in it. Memoized (one SHA-256 fewer per request). */
export function scopeId(scope: string | null): string {
  let id = recentScopeIds.get(scope);
  if (id === undefined) {
    id = sha256Hex(JSON.stringify([scope]));
    if (recentScopeIds.size >= RECENT_SCOPES) recentScopeIds.clear();
    recentScopeIds.set(scope, id);
  }
  return id;
}
