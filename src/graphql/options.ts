import type { FormattedExecutionResult } from 'graphql';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';
import type { RawKey } from '../core/key.js';
import type { IdempotencyOptions } from '../core/options.js';
import type { RunContext } from '../core/run-context.js';
import type { ScopeOption } from '../core/scope.js';

/** Options of every GraphQL server adapter: every engine option plus the GraphQL-specific ones, read against the server's context. */
export interface GraphQLIdempotencyOptions<TContext> extends IdempotencyOptions {
  /**
   * The user / tenant a record belongs to, from the GraphQL context, e.g. `(ctx) => ctx.user?.id`.
   * Two scopes never see each other's results. A keyed request for which it returns `undefined` or
   * `null` is refused (`IDEMPOTENCY_SCOPE_MISSING`, 401) and nothing runs. Pass `false` to share one
   * anonymous scope on purpose. Required: there is no default.
   */
  scope: ScopeOption<TContext>;
  /**
   * Request header that carries the key (read case-insensitively) when the operation arrives in an
   * HTTP request. Over graphql-ws or a plain executor, headers belong to the connection, not the
   * operation, and are not read. Defaults to `'Idempotency-Key'`.
   */
  headerName?: string;
  /**
   * Finds a key's raw value in the context, e.g. in graphql-ws connection params, read like a header
   * value. It is one more carrier, not a replacement: the header (over HTTP), the argument and the
   * directive are still read, and any two present must agree. Defaults to none: the key comes from
   * `headerName` in the HTTP request, where there is one, the argument or the directive.
   */
  getKey?: (context: TContext) => RawKey | Promise<RawKey>;
  /**
   * Name of a mutation field argument, or of a field of an input object argument, that carries the
   * key, e.g. `createPayment(idempotencyKey: "…")` or `createPayment(input: { idempotencyKey: "…" })`.
   * Defaults to `'idempotencyKey'`.
   */
  argumentName?: string;
  /**
   * Overrides the error policy: whether a finished result is stored for replay (`false` frees the
   * key so a retry runs again). Receives the result as it is sent (errors formatted and masked).
   * Defaults to the core policy: stored once a root mutation resolver returned, whatever its child
   * fields did; after a root resolver threw, stored for a coded client error and freed for an
   * unexpected error, a 5xx or a transient status (408, 409, 425, 429, 503).
   */
  shouldStore?: (result: FormattedExecutionResult) => boolean;
}

/** The defaults of the GraphQL-specific {@link GraphQLIdempotencyOptions}. */
export const graphqlIdempotencyDefaults = {
  headerName: IDEMPOTENCY_KEY_HEADER,
  argumentName: 'idempotencyKey',
} as const;

/** What resolvers find under `context.idempotency` while a mutation runs: key, fencing token, takeover and derived keys. */
export type GraphQLIdempotencyContext = RunContext;
