/**
 * The store contract. A store keeps one record per record id and moves it through
 * `free → running → done` (or back to free on release) with atomic compare-and-set transitions
 * on the owner token. The engine is the only caller; stores hold no idempotency policy.
 *
 * Every transition is idempotent for its own owner: the same call made again with the same owner
 * token (a script re-sent after its reply was lost) answers as the first call did, instead of
 * reporting a conflict with itself or a stale completion.
 */

/** Arguments of {@link IdempotencyStore.begin}. */
export interface BeginRequest {
  /** Hashed record id (see `recordId`). */
  id: string;
  /**
   * Hashed scope (user / tenant) of the record (see `scopeId`), so a store can keep per-scope
   * quotas: one caller must never push out another caller's records.
   */
  scopeId: string;
  /** Fingerprint of the input; compared with the stored one on every repeat. */
  fingerprint: string;
  /** A fresh random token that identifies this attempt as the owner. */
  owner: string;
  /** Lease length in milliseconds. */
  leaseMs: number;
  /** Record lifetime in milliseconds. */
  ttlMs: number;
}

/** What {@link IdempotencyStore.begin} found. */
export type BeginOutcome =
  /** This attempt now owns the record and may run; `takeover` is true when an expired lease was taken over. */
  | { status: 'acquired'; fence: number; takeover: boolean }
  /** The record is complete; `result` is the serialized result to replay. */
  | { status: 'completed'; result: string }
  /** Another owner holds a live lease for `leaseRemainingMs` more milliseconds. */
  | { status: 'running'; leaseRemainingMs: number }
  /** The record was created with another fingerprint. */
  | { status: 'mismatch' };

/** Arguments of transitions made by the current owner. */
export interface OwnerRequest {
  id: string;
  owner: string;
}

/** A persistence backend for idempotency records. Every method is one atomic transition. */
export interface IdempotencyStore {
  /** Claims the record, or reports it completed, running or mismatched. Takes over an expired lease. */
  begin(request: BeginRequest): Promise<BeginOutcome>;
  /** Renews the owner's lease; resolves `false` when the owner no longer holds the record. */
  extend(request: OwnerRequest & { leaseMs: number }): Promise<boolean>;
  /** Stores the serialized result; resolves `false` (writing nothing) when the owner lost the record. */
  complete(request: OwnerRequest & { result: string; ttlMs: number }): Promise<boolean>;
  /** Frees the record so the next attempt runs; resolves `false` when the owner lost the record. */
  release(request: OwnerRequest): Promise<boolean>;
}
