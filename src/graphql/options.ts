import type { ExecutionResult } from 'graphql';
import type { YogaInitialContext } from 'graphql-yoga';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';
import type { RunContext } from '../core/engine.js';
import type { IdempotencyOptions } from '../core/options.js';
import type { ScopeOption } from '../core/scope.js';

/** Options of {@link useIdempotency}: every engine option plus the GraphQL-specific ones. */
export interface UseIdempotencyOptions<TContext = YogaInitialContext> extends IdempotencyOptions {
  /**
   * The user / tenant a record belongs to, from the GraphQL context, e.g. `(ctx) => ctx.user?.id`.
   * Two scopes never see each other's results. Pass `false` to share one anonymous scope on
   * purpose. Required: there is no default.
   */
  scope: ScopeOption<TContext>;
  /** Request header that carries the key (read case-insensitively). Defaults to `'Idempotency-Key'`. */
  headerName?: string;
  /**
   * Name of a mutation field argument, or of a field of an input object argument, that carries the
   * key, e.g. `createPayment(idempotencyKey: "…")` or `createPayment(input: { idempotencyKey: "…" })`.
   * Defaults to `'idempotencyKey'`.
   */
  argumentName?: string;
  /**
   * Whether a finished result is stored for replay; `false` frees the key so a retry runs again.
   * Receives the result as Yoga is about to send it (errors already masked). Replaces the default
   * policy {@link shouldStoreResult}: store results with data or with client-facing (coded)
   * errors; free the key when there are only unexpected errors. Defaults to `shouldStoreResult`.
   */
  shouldStore?: (result: ExecutionResult) => boolean;
}

/** The defaults of the GraphQL-specific {@link UseIdempotencyOptions}. */
export const useIdempotencyDefaults = {
  headerName: IDEMPOTENCY_KEY_HEADER,
  argumentName: 'idempotencyKey',
} as const;

/** What resolvers find under `context.idempotency` while a mutation runs: the key and the fencing token. */
export type IdempotencyContext = RunContext;
