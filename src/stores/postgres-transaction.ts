import type { Pool, PoolClient, QueryResult } from 'pg';
import {
  IdempotencyCommitOutcomeUnknownError,
  IdempotencyTransactionEndedError,
  IdempotencyTransactionUnavailableError,
  isIdempotencyError,
} from '../core/errors.js';
import type { OwnerRequest, StoreTransaction, TransactionOptions, TransactionSavepoint } from '../core/store.js';
import { guardedClient } from './postgres-client-guard.js';
import { checkOut, isServerRefusal, sleep, withDeadline } from './postgres-deadline.js';
import { RECORD_LOST_SQLSTATE, TRANSACTION_ENDED_SQLSTATE, type PostgresStoreNames } from './postgres-schema.js';

/**
 * A commit whose connection was lost (or that did not answer in time) and whose outcome could not be
 * established before the store's budget ran out: the writes may or may not have committed. Retryable:
 * a retry with the same key finds the truth (the stored result, or a record to take over). An
 * {@link IdempotencyCommitOutcomeUnknownError} (code `IDEMPOTENCY_COMMIT_OUTCOME_UNKNOWN`, status 503), so every
 * adapter answers it as a typed, retryable error.
 */
export class PostgresCommitUnknownError extends IdempotencyCommitOutcomeUnknownError {
  constructor(cause: unknown) {
    super(
      'The connection to PostgreSQL was lost while the mutation committed, and whether it committed could not be established; retry with the same Idempotency-Key.',
      { cause },
    );
  }
}

/** Limits applied to every transaction the store opens (see `PostgresStoreOptions`). */
export interface TransactionSettings {
  timeout: number;
  statementTimeout: number;
  lockTimeout: number;
  idleInTransactionTimeout: number;
}

interface Context {
  pool: Pool;
  names: PostgresStoreNames;
  settings: TransactionSettings;
  /** Escapes a string as an SQL literal (the client's `escapeLiteral`). */
  literal: (text: string) => string;
}

function checkTtl(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1)
    throw new TypeError(`postgres store: ttlMs must be a whole number ≥ 1, got ${ttlMs}.`);
  return ttlMs;
}

/** The name each savepoint a transaction set has in PostgreSQL. */
const savepointNames = new WeakMap<TransactionSavepoint, string>();
/** The name of a transaction's `n`th savepoint. */
const savepointName = (n: number) => `idempotency_part_${n}`;

/** Results of a simple query holding several statements (one result each). */
const results = (reply: QueryResult | QueryResult[]) => (Array.isArray(reply) ? reply : [reply]);

/**
 * Opens `BEGIN` on a pooled connection with the per-transaction timeouts set (`SET LOCAL`, so
 * nothing outlives the transaction: safe behind PgBouncer in transaction mode), learns its
 * transaction id and, where `options.savepoint` asks, sets the opening savepoint, all in one round trip. The transaction id tells a commit whose reply was lost
 * apart: committed or aborted (`txid_status`). The body gets the connection behind a guard (see
 * {@link guardedClient}) that refuses its statements once the transaction ended, or once
 * `options.refusal` says so.
 */
export async function openPostgresTransaction(
  context: Context,
  record: OwnerRequest | undefined,
  options: TransactionOptions = {},
): Promise<StoreTransaction<PoolClient>> {
  const { pool, names, settings, literal } = context;
  // Given back once the transaction ended (the body's `release()` does nothing: see guardedClient).
  const { client, giveBack } = await checkOut(pool, settings.timeout, 'a connection for a transaction');
  let ended = false;
  /** One round trip on the transaction's connection, bounded by the store timeout. */
  const send = (text: string, what: string) => withDeadline(client.query(text), settings.timeout, what);
  let savepoints = 0;
  /** The savepoint set with BEGIN, where asked. */
  const opening = options.savepoint ? savepointName(++savepoints) : undefined;

  let xid: string;
  try {
    const opened = results(
      await send(
        `BEGIN; SELECT set_config('statement_timeout', '${settings.statementTimeout}', true), ` +
          `set_config('lock_timeout', '${settings.lockTimeout}', true), ` +
          `set_config('idle_in_transaction_session_timeout', '${settings.idleInTransactionTimeout}', true), ` +
          `txid_current()::text AS xid${opening ? `; SAVEPOINT ${opening}` : ''}`,
        'BEGIN',
      ),
    );
    xid = (opened[1]?.rows[0] as { xid: string }).xid;
  } catch (error) {
    giveBack(error as Error);
    throw error;
  }

  function end(): void {
    if (ended) throw new Error('postgres store: this transaction already ended (commit, release or rollback).');
    ended = true;
  }
  /** Why a statement of the body is refused now, if it is. */
  const refusal = () => (ended ? new IdempotencyTransactionUnavailableError('ended') : options.refusal?.());

  /** The savepoint `name`, set once `setting` settles. */
  function savepointOf(name: string, setting: Promise<unknown>): TransactionSavepoint {
    const savepoint = {
      set: setting.then(() => {}),
      async rollback() {
        if (ended) throw new IdempotencyTransactionUnavailableError('ended');
        await send(`ROLLBACK TO SAVEPOINT ${name}`, 'ROLLBACK TO SAVEPOINT');
      },
    };
    savepointNames.set(savepoint, name);
    return savepoint;
  }

  /**
   * ROLLBACK (after a server error); a connection that cannot roll back is closed, which rolls back
   * too. Resolves `true` when the transaction had committed all the same: only the body's own
   * COMMIT commits this transaction id.
   */
  async function rollBackAndGiveBack(): Promise<boolean> {
    try {
      const replies = results(
        await send(`ROLLBACK; SELECT txid_status(${xid}) = 'committed' AS committed`, 'ROLLBACK'),
      );
      giveBack();
      return (replies[1]?.rows[0] as { committed: boolean | null }).committed === true;
    } catch (error) {
      giveBack(error as Error);
      return false;
    }
  }

  return {
    client: guardedClient(client, refusal),

    savepoint(rollBackTo) {
      if (ended) throw new IdempotencyTransactionUnavailableError('ended');
      const name = savepointName(++savepoints);
      const back = rollBackTo && savepointNames.get(rollBackTo);
      // In line on the connection now (send() calls query() at once): statements sent after run after it.
      return savepointOf(name, send(`${back ? `ROLLBACK TO SAVEPOINT ${back}; ` : ''}SAVEPOINT ${name}`, 'SAVEPOINT'));
    },
    ...(opening && { openingSavepoint: savepointOf(opening, Promise.resolve()) }),

    async commit(result, ttlMs) {
      end();
      const text = record
        ? `SELECT ${names.commit}(${literal(record.id)}, ${literal(record.owner)}, ${literal(result)}, ${checkTtl(ttlMs)}, ${xid}); COMMIT`
        : `SELECT ${names.assertTransaction}(${xid}); COMMIT`;
      try {
        await send(text, 'COMMIT');
      } catch (error) {
        // Refused by a session that lives on: nothing committed. Anything else (no answer, a lost
        // connection, an error that ended the session) leaves the outcome to be found out.
        if (!isServerRefusal(error)) {
          giveBack(error as Error);
          return resolveLostCommit(context, xid, record, error);
        }
        const committedByBody = await rollBackAndGiveBack();
        if (committedByBody || error.code === TRANSACTION_ENDED_SQLSTATE)
          throw new IdempotencyTransactionEndedError(error);
        if (error.code === RECORD_LOST_SQLSTATE) return false;
        throw error;
      }
      giveBack();
      return true;
    },

    async release() {
      end();
      if (!record) {
        await rollBackAndGiveBack();
        return true;
      }
      // Frees the record, unless the body committed the transaction itself (its own COMMIT): only
      // that commits this transaction id, and its writes then stay, so the key must never run again.
      const releasing =
        `SELECT CASE WHEN txid_status(${xid}) = 'committed' THEN NULL ` +
        `ELSE ${names.release}(${literal(record.id)}, ${literal(record.owner)}) END AS released`;
      let released: boolean | null;
      try {
        const replies = results(await send(`ROLLBACK; ${releasing}`, 'ROLLBACK'));
        giveBack();
        released = (replies[1]?.rows[0] as { released: boolean | null }).released;
      } catch (error) {
        // Closing the connection rolls the writes back (the record row is not locked by them: only
        // the commit touches it); free the record on another connection.
        giveBack(error as Error);
        const { rows } = await withDeadline(
          pool.query<{ released: boolean | null }>(releasing),
          settings.timeout,
          'release',
        );
        released = rows[0]!.released;
      }
      if (released === null) throw new IdempotencyTransactionEndedError();
      return released;
    },

    async rollback() {
      end();
      await rollBackAndGiveBack();
    },
  };
}

interface RecordRow {
  state: string;
  owner: string;
}

/**
 * The truth about a commit whose reply never came: through the record (done by this owner means
 * the commit took effect, since the completion and the writes are one transaction) and through
 * `txid_status` (which can say "in progress" while the server still finishes it, or until it
 * notices the connection is gone; then it waits). Aborted: nothing committed, and a record still
 * running under this owner is freed so the retry runs at once. Committed while the record still
 * runs under this owner: the body's own COMMIT (an {@link IdempotencyTransactionEndedError}, so the
 * record keeps a refusal). Unknowable within the budget: a {@link PostgresCommitUnknownError}.
 */
async function resolveLostCommit(
  { pool, names, settings }: Context,
  xid: string,
  record: OwnerRequest | undefined,
  lost: unknown,
): Promise<boolean> {
  const deadline = Date.now() + settings.idleInTransactionTimeout + settings.timeout;
  let cause = lost;
  while (Date.now() < deadline) {
    try {
      // The status first: a record read while the commit is still in flight shows its old version.
      const status = await transactionStatus(pool, xid, settings.timeout);
      if (status === 'in progress') {
        await sleep(50);
        continue;
      }
      if (!record) {
        if (status === 'unknown') throw new PostgresCommitUnknownError(lost);
        return status === 'committed';
      }
      const { rows } = await withDeadline(
        pool.query<RecordRow>(`SELECT state, owner FROM ${names.table} WHERE id = $1`, [record.id]),
        settings.timeout,
        'the record of a lost commit',
      );
      const row = rows[0];
      const ours = row?.owner === record.owner;
      if (ours && row.state === 'done') return true;
      if (status === 'committed') {
        // Committed with the record still running under this owner: the completion, which would have
        // made it done in the same transaction, did not commit with it; only the body's own COMMIT
        // commits this transaction id. Its writes stay: the record must keep a refusal.
        if (ours && row.state === 'running') throw new IdempotencyTransactionEndedError(lost);
        // Otherwise only a record that expired and was claimed anew explains it (or a failover); say
        // so rather than guess. Absent: expired and reaped.
        if (!row) return true;
        throw new PostgresCommitUnknownError(lost);
      }
      if (ours && row.state === 'running')
        await pool.query(`SELECT ${names.release}($1, $2)`, [record.id, record.owner]);
      return false;
    } catch (error) {
      if (isIdempotencyError(error)) throw error; // the answer, not a failure to ask
      cause = error;
      await sleep(100);
    }
  }
  throw new PostgresCommitUnknownError(cause);
}

/** `committed`, `aborted`, `in progress`, or `unknown` (too old, or from before a failover). */
async function transactionStatus(pool: Pool, xid: string, timeout: number): Promise<string> {
  try {
    const { rows } = await withDeadline(
      pool.query<{ status: string | null }>('SELECT txid_status($1::bigint) AS status', [xid]),
      timeout,
      'txid_status',
    );
    return rows[0]?.status ?? 'unknown';
  } catch (error) {
    if (isServerRefusal(error)) return 'unknown'; // "transaction ID … is in the future": another server's history
    throw error;
  }
}
