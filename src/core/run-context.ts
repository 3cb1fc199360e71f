import { refusedTransaction } from './attempt-transaction.js';
import { sha256Hex } from './sha256.js';

/** What an operation's body is handed while it runs under idempotency. */
export interface RunContext {
  /** The idempotency key, or `undefined` when the request had none. */
  key: string | undefined;
  /**
   * Fencing token: grows with every acquisition of the same record. Store it beside the side
   * effect and refuse writes with a smaller token to guard against a stalled former owner.
   * `undefined` when nothing was acquired (no key, or the store was down in fail-open mode).
   */
  fence: number | undefined;
  /**
   * True when an earlier attempt on this record crashed or stalled past its lease and no attempt
   * has completed since (also after a taker that threw): that attempt may have done part of the
   * work. Check downstream state before redoing it.
   */
  takeover: boolean;
  /**
   * The fencing token of the attempt before this one (`fence - 1`), when `takeover` is true. Partial
   * work may carry any fence below this attempt's: the crashed attempt's, or a later one's that threw.
   */
  previousFence: number | undefined;
  /**
   * A key for one downstream call, stable across every attempt of this record (the same store
   * namespace, scope, operation and key give the same derived key, whatever the fence), e.g.
   * `stripe.paymentIntents.create(params, { idempotencyKey: derive('stripe-charge') })`: a re-run
   * after a crash hands the provider the same key, and the provider deduplicates. Without a key
   * nothing is stable: each call then returns a fresh random key.
   */
  derive(name: string): string;
  /**
   * The database transaction of this attempt (with the PostgreSQL store, a pg `PoolClient` inside
   * `BEGIN`: `tx<PoolClient>()`), opened on the first call, the same one on every later call (the
   * root fields of one GraphQL mutation share it). Write through it and return: the library commits
   * the writes together with the stored result, so they commit at most once per key whatever
   * crashes; a body that throws has them rolled back. Without a key it is a plain transaction,
   * committed when the body returns. Rejects with `IdempotencyTransactionUnavailableError` on a
   * store outside the database (memory, Redis: use `createPostgresStore`), when the store was down
   * and `failMode: 'open'` ran the operation without a record, and after the operation ended.
   */
  tx<Client = unknown>(): Promise<Client>;
}

/**
 * The run context of an attempt that holds record `recordId` with `fence`. `namespace` is the
 * store's own (a Redis store's `prefix`): docs/semantics.md separates a GraphQL field and a tRPC
 * path of the same name by giving each its own store prefix, and their records (same scope,
 * operation and key, so the same `recordId`) must then hand a provider two different derived keys.
 * It is part of the record's place, never of the attempt, so derived keys stay stable across
 * attempts. Defaults to `''` (no namespace: the derived keys of a record id alone).
 */
export function recordedRunContext(
  key: string,
  recordId: string,
  fence: number | undefined,
  takeover: boolean,
  namespace = '',
  tx: () => Promise<unknown> = refusedTransaction('outside-attempt'),
): RunContext {
  return {
    tx: tx as RunContext['tx'],
    key,
    fence,
    takeover,
    previousFence: takeover && fence !== undefined ? fence - 1 : undefined,
    derive: (name) => sha256Hex(JSON.stringify(namespace === '' ? [recordId, name] : [namespace, recordId, name])),
  };
}

/**
 * The run context of an operation sent without a key; its `tx` is the engine's plain transaction,
 * and refuses (`outside-attempt`) where no attempt of the engine runs the operation.
 */
export function unkeyedRunContext(tx: () => Promise<unknown> = refusedTransaction('outside-attempt')): RunContext {
  return {
    tx: tx as RunContext['tx'],
    key: undefined,
    fence: undefined,
    takeover: false,
    previousFence: undefined,
    derive: () => globalThis.crypto.randomUUID(),
  };
}
