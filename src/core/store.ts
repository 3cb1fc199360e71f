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
  /**
   * This attempt now owns the record and may run; `takeover` is true when a lease on the record
   * lapsed and no attempt has completed since (it stays set through releases: a taker that threw
   * left the crashed attempt's partial work in place).
   */
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
  /**
   * What separates this store's records from another store's on the same backend (the Redis key
   * prefix, the PostgreSQL table): `derive(name)` includes it, so a GraphQL field and a tRPC
   * procedure of the same name, kept apart by two prefixes, never hand a provider the same derived
   * key. Defaults to none.
   */
  readonly namespace?: string;
  /** Claims the record, or reports it completed, running or mismatched. Takes over an expired lease. */
  begin(request: BeginRequest): Promise<BeginOutcome>;
  /** Renews the owner's lease; resolves `false` when the owner no longer holds the record. */
  extend(request: OwnerRequest & { leaseMs: number }): Promise<boolean>;
  /** Stores the serialized result; resolves `false` (writing nothing) when the owner lost the record. */
  complete(request: OwnerRequest & { result: string; ttlMs: number }): Promise<boolean>;
  /** Frees the record so the next attempt runs; resolves `false` when the owner lost the record. */
  release(request: OwnerRequest): Promise<boolean>;
  /**
   * Optional: opens a database transaction for the body's writes whose commit also stores the
   * result (a store that lives in the application's database, such as PostgreSQL). With a record
   * (`request` given, the record acquired by that owner), {@link StoreTransaction.commit} writes the
   * result with a fenced update as the transaction's last statement, so the writes and the result
   * commit together or not at all. Without a record (an unkeyed call), it is a plain transaction,
   * so bodies use one code path either way.
   */
  openTransaction?(request?: OwnerRequest, options?: TransactionOptions): Promise<StoreTransaction>;
  /**
   * Optional, for readiness probes: resolves once the backend answers, rejects (within the store's
   * own timeout) when it cannot be reached. Never changes a record.
   */
  ping?(): Promise<void>;
  /**
   * Optional, for operators: the unexpired record under `id`, or `undefined` when there is none. Its
   * `result` is read only when `includeResult` is `true`.
   */
  inspect?(id: string, options?: { includeResult?: boolean }): Promise<StoredRecordView | undefined>;
  /**
   * Optional, for operators: deletes the record under `id` whatever its state; resolves `true` when
   * there was an unexpired one. A running holder's later `extend`, `complete` or `release` then
   * resolves `false` (stale), and the next attempt with the key runs from a fresh record (fence 1).
   */
  forget?(id: string): Promise<boolean>;
}

/** What {@link IdempotencyStore.inspect} reports about one record. */
export interface StoredRecordView {
  /** `running` (an attempt holds it), `done` (its result is stored) or `free` (released, the next attempt runs). */
  state: 'running' | 'done' | 'free';
  /** Fence of the last acquisition: 1 for the first, one more for each later one. */
  fence: number;
  /** Whether the current (or next) attempt follows one that may have left partial work. */
  takeover: boolean;
  /** When the running holder's lease ends, on the store's clock; only for a running record. */
  leaseExpiresAt?: Date;
  /** When the record expires, on the store's clock. */
  expiresAt: Date;
  /** The stored (serialized) result of a done record, only when asked for. */
  result?: string;
}

/** How the caller of {@link IdempotencyStore.openTransaction} keeps the body's use of the client in check. */
export interface TransactionOptions {
  /**
   * Asked before each statement the body sends through {@link StoreTransaction.client}: an error
   * refuses the statement (the part of the body that sends it, or its whole attempt, has ended).
   * The client refuses on its own, with `IdempotencyTransactionUnavailableError` (`'ended'`), once
   * `commit`, `release` or `rollback` was called. Defaults to refusing nothing before that.
   */
  refusal?: () => Error | undefined;
  /**
   * Asks a store that sets savepoints to set one as the transaction opens, in the same round trip:
   * {@link StoreTransaction.openingSavepoint}, for the part of the body (a GraphQL root field)
   * that opened it. Defaults to `false`.
   */
  savepoint?: boolean;
}

/** A savepoint inside a {@link StoreTransaction}: the writes made after it can be rolled back alone. */
export interface TransactionSavepoint {
  /** Settles once the savepoint is set (and the rollback asked with it done); rejects when either failed. */
  readonly set: Promise<void>;
  /**
   * Rolls back the writes made since the savepoint, keeping the earlier ones; the transaction stays
   * open. Its statement is put in line before the call returns, as `savepoint()`'s is.
   */
  rollback(): Promise<void>;
}

/**
 * A transaction opened by {@link IdempotencyStore.openTransaction}. Exactly one of `commit`,
 * `release` or `rollback` ends it; each returns the connection to its pool, whatever happens.
 */
export interface StoreTransaction<Client = unknown> {
  /**
   * What the body writes through: for PostgreSQL, a pg `PoolClient` inside `BEGIN` whose `query`
   * refuses once the transaction ended (or {@link TransactionOptions.refusal} says so), and whose
   * `release()` does nothing (the store gives the connection back), so a late statement never runs
   * on a connection the pool lent to someone else.
   */
  readonly client: Client;
  /**
   * Stores `result` (for `ttlMs`) and commits it with the body's writes. Resolves `true` when both
   * committed; `false` when this attempt no longer held its record, so nothing was committed (the
   * writes rolled back) and the caller answers with a retryable error, never the value. Rejects when
   * the commit failed otherwise (a deferred constraint, a serialization failure, a timeout, the body
   * ending the transaction itself): nothing was committed and the record is untouched, still this
   * owner's, so the caller handles it as a body that threw. A store that cannot learn whether a
   * commit whose connection was lost took effect rejects with an error whose `retryable` is `true`:
   * a retry with the same key finds the truth. For a transaction opened without a record, the
   * arguments are ignored, and `false` means it did not commit (its session ended, or its connection
   * was lost, before COMMIT took effect): the caller answers with a retryable error, never the value.
   */
  commit(result: string, ttlMs: number): Promise<boolean>;
  /**
   * Rolls the writes back and frees the record for the next attempt, in one round trip. Resolves as
   * {@link IdempotencyStore.release} does (`true` for a transaction opened without a record).
   * Rejects with `IdempotencyTransactionEndedError`, leaving the record running, when the body
   * committed the transaction itself: its writes stay, so the key must not run again.
   */
  release(): Promise<boolean>;
  /** Rolls the writes back, leaving the record untouched (for a result stored by `complete` after). */
  rollback(): Promise<void>;
  /**
   * Optional: sets a savepoint, so the writes of one part of the body (a GraphQL root field) can be
   * rolled back alone when that part fails. Without it, such a failure lets nothing commit. Its
   * statement is put in line on the transaction's connection before the call returns (pg runs a
   * client's queries in the order they were sent): a statement sent through `client` after the call
   * runs after the savepoint, whatever the body awaited. With `rollBackTo` (a savepoint of this
   * transaction), first rolls back to it, in the same round trip. Throws when the transaction ended.
   */
  savepoint?(rollBackTo?: TransactionSavepoint): TransactionSavepoint;
  /**
   * The savepoint set as the transaction opened, before any statement of the body, where
   * {@link TransactionOptions.savepoint} asked for it and the store sets savepoints.
   */
  readonly openingSavepoint?: TransactionSavepoint;
}
