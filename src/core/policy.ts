/**
 * The one error policy every adapter applies (docs/semantics.md, "Error policy"). Once an operation's body
 * has returned, its effect may have happened: the outcome is stored and replayed (or, where it
 * cannot be stored, every repeat is refused). Only a body that threw may free the key, and only
 * for an unexpected error or a transient status; a coded client error is stored like a success.
 */

/** How an operation's body ended, as the adapter observed it. */
export type BodyOutcome =
  /** The body returned (a GraphQL root field resolved, a tRPC procedure returned), whatever came after it. */
  | { returned: true }
  /**
   * The body threw. `coded` says the error is a deliberate, client-facing one (a GraphQL error with
   * `extensions.code`, a `TRPCError`); `status` is its HTTP status where it has one.
   */
  | { returned: false; coded: boolean; status?: number };

/** Statuses that say "not now" rather than "no" (499: the client closed the request): a body that threw one frees the key. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 409, 425, 429, 499, 503]);

/** The outcome of a body that returned. */
export const RETURNED: BodyOutcome = Object.freeze({ returned: true });

/**
 * Whether an outcome is kept (stored and replayed) rather than freed. Kept: a body that returned,
 * and a coded client error (4xx, or coded without a status) that is not transient. Freed: an
 * unexpected error, a 5xx, and the transient statuses 408, 409, 425, 429 and 503.
 */
export function keepsRecord(outcome: BodyOutcome): boolean {
  if (outcome.returned) return true;
  if (!outcome.coded) return false;
  const status = outcome.status ?? 400;
  return status < 500 && !TRANSIENT_STATUSES.has(status);
}
