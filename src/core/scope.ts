/**
 * What a `scope` function may return: a user / tenant id; `null` for the shared anonymous scope, on
 * purpose; `undefined` when the caller has no identity, in which case the operation runs without
 * idempotency (nothing stored or replayed, an `unscoped` event) rather than share records by accident.
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

/** Evaluates the scope for one request: a string id, `null` for the anonymous scope, `undefined` for none. */
export async function resolveScope<TContext>(scope: ScopeOption<TContext>, context: TContext): Promise<string | null | undefined> {
  if (scope === false) return null;
  const value = await scope(context);
  return value === undefined || value === null ? value : String(value);
}
