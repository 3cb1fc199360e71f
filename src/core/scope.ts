import { createHash } from 'node:crypto';

/**
 * What a `scope` function may return: the caller's user / tenant id. `undefined` or `null` mean
 * "no caller identity": a keyed request is then refused (401 `IDEMPOTENCY_SCOPE_MISSING`) and
 * nothing runs. Only the option `scope: false` selects the shared anonymous scope.
 */
export type ScopeValue = string | number | null | undefined;

/**
 * How the user / tenant scope of a request is found. A function of the transport's context, or
 * `false` to share one anonymous scope on purpose (every caller can then replay every other
 * caller's results for the same key).
 */
export type ScopeOption<TContext> = ((context: TContext) => ScopeValue | Promise<ScopeValue>) | false;

/** Throws a configuration error when `scope` was left out: anonymous use must be an explicit choice. */
export function assertScopeOption<TContext>(scope: ScopeOption<TContext> | undefined, adapter: string): ScopeOption<TContext> {
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
 * scope (only from `scope: false`), or `undefined` when the function found no identity.
 */
export async function resolveScope<TContext>(scope: ScopeOption<TContext>, context: TContext): Promise<string | null | undefined> {
  if (scope === false) return null;
  const value = await scope(context);
  return value === undefined || value === null ? undefined : String(value);
}

/** The hashed scope a store may keep quotas by: no user id is readable in it. */
export function scopeId(scope: string | null): string {
  return createHash('sha256').update(JSON.stringify([scope])).digest('hex');
}
