import type { Pool, PoolClient } from 'pg';
import type {
  BeginOutcome,
  IdempotencyStore,
  OwnerRequest,
  StoredRecordView,
  StoreTransaction,
  TransactionOptions,
} from '../core/store.js';
import { checkOut, withDeadline } from './postgres-deadline.js';
import {
  postgresLocationDefaults,
  postgresStoreNames,
  postgresStoreSchema,
  type PostgresStoreLocation,
} from './postgres-schema.js';
import { openPostgresTransaction } from './postgres-transaction.js';

export { PostgresTimeoutError } from './postgres-deadline.js';
export {
  postgresLocationDefaults,
  postgresStoreSchema,
  RECORD_LOST_SQLSTATE,
  TRANSACTION_ENDED_SQLSTATE,
  type PostgresStoreLocation,
} from './postgres-schema.js';
export { PostgresCommitUnknownError } from './postgres-transaction.js';

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions extends PostgresStoreLocation {
  /** A node-postgres pool (`new pg.Pool(…)`), directly on PostgreSQL or through PgBouncer. Required. */
  pool: Pool;
  /**
   * Creates the schema, table and functions on first use (idempotently, under an advisory lock, so
   * concurrent first uses are safe). Set it to `false` when a migration tool runs
   * {@link postgresStoreSchema} instead. Defaults to `true`.
   */
  createSchema?: boolean;
  /**
   * Longest wait for one round trip to PostgreSQL (a connection from the pool included), in
   * milliseconds; a slower call fails, so a request never hangs while the database is away.
   * Defaults to `2_000`.
   */
  timeout?: number;
  /**
   * `statement_timeout` of each transaction opened for a mutation (`SET LOCAL`): the longest one
   * statement of the body may run. Defaults to `5_000`.
   */
  statementTimeout?: number;
  /**
   * `lock_timeout` of each transaction opened for a mutation: the longest one statement waits for a
   * lock (on a row another transaction holds) before failing with `55P03`. Defaults to `2_000`.
   */
  lockTimeout?: number;
  /**
   * `idle_in_transaction_session_timeout` of each transaction opened for a mutation: a holder that
   * stays idle inside it this long (frozen, or waiting on a slow external call) loses its session,
   * its writes roll back and its locks are freed for the attempt that takes over. Keep it near the
   * engine's `lease`. Defaults to `10_000`.
   */
  idleInTransactionTimeout?: number;
  /**
   * How often expired records are deleted in the background, in milliseconds (see
   * {@link PostgresStore.cleanup}); `0` turns it off (run `cleanup()` from a scheduled job instead).
   * The timer does not keep the process alive. Defaults to `60_000`.
   */
  cleanupInterval?: number;
  /** Rows deleted per statement by the background cleanup. Defaults to `1_000`. */
  cleanupBatchSize?: number;
}

/** Defaults of {@link PostgresStoreOptions}. */
export const postgresStoreDefaults = {
  createSchema: true,
  timeout: 2_000,
  statementTimeout: 5_000,
  lockTimeout: 2_000,
  idleInTransactionTimeout: 10_000,
  cleanupInterval: 60_000,
  cleanupBatchSize: 1_000,
} as const;

/** The PostgreSQL store: an {@link IdempotencyStore} whose completion can commit with the mutation's writes. */
export interface PostgresStore extends IdempotencyStore {
  /**
   * Opens a transaction on a pooled connection (`BEGIN`, timeouts set). With `request` (a record
   * this owner acquired) its commit stores the result as the transaction's last statement, fenced on
   * the owner; without, it is a plain transaction. Its `client` refuses statements once the
   * transaction ended (or `options.refusal` says so), and ignores `release()`. See {@link StoreTransaction}.
   */
  openTransaction(request?: OwnerRequest, options?: TransactionOptions): Promise<StoreTransaction<PoolClient>>;
  /**
   * Deletes expired records, `batchSize` rows per statement, until none is left; returns how many.
   * Rows locked by a transaction (a completion in flight) are skipped (`SKIP LOCKED`), never waited
   * for. `batchSize` defaults to the store's `cleanupBatchSize` (`1_000` unless set).
   */
  cleanup(options?: { batchSize?: number }): Promise<number>;
  /** Resolves once PostgreSQL answers `SELECT 1`; rejects within `timeout` when it cannot be reached. */
  ping(): Promise<void>;
  inspect(id: string, options?: { includeResult?: boolean }): Promise<StoredRecordView | undefined>;
  forget(id: string): Promise<boolean>;
  /** Stops the background cleanup. The pool stays open: it belongs to the caller. */
  close(): void;
}

function wholeAtLeast(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw new TypeError(`postgres store option "${name}" must be a whole number ≥ ${min}, got ${value}.`);
  return value;
}

interface InspectRow {
  state: StoredRecordView['state'];
  fence: string;
  takeover: boolean;
  lease_until: Date | null;
  expires_at: Date;
  result: string | null;
}

interface BeginRow {
  status: BeginOutcome['status'];
  fence: string | null;
  takeover: boolean | null;
  result: string | null;
  lease_remaining_ms: string | null;
}

/**
 * A store on PostgreSQL through node-postgres: one row per record, one server-side function per
 * transition, each one round trip (a replay is a plain read: no row lock, no WAL). Leases run on
 * the database server's clock. Its {@link PostgresStore.openTransaction} lets a mutation's writes
 * and its stored result commit together, so a retry after a crash finds either both or neither.
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const { pool } = options;
  if (
    !pool ||
    typeof (pool as Partial<Pool>).query !== 'function' ||
    typeof (pool as Partial<Pool>).connect !== 'function'
  )
    throw new TypeError('postgres store option "pool" must be a node-postgres Pool (new pg.Pool(…)).');
  const names = postgresStoreNames(options);
  const settings = {
    timeout: wholeAtLeast('timeout', options.timeout ?? postgresStoreDefaults.timeout, 1),
    statementTimeout: wholeAtLeast(
      'statementTimeout',
      options.statementTimeout ?? postgresStoreDefaults.statementTimeout,
      1,
    ),
    lockTimeout: wholeAtLeast('lockTimeout', options.lockTimeout ?? postgresStoreDefaults.lockTimeout, 1),
    idleInTransactionTimeout: wholeAtLeast(
      'idleInTransactionTimeout',
      options.idleInTransactionTimeout ?? postgresStoreDefaults.idleInTransactionTimeout,
      1,
    ),
  };
  const cleanupInterval = wholeAtLeast(
    'cleanupInterval',
    options.cleanupInterval ?? postgresStoreDefaults.cleanupInterval,
    0,
  );
  const cleanupBatchSize = wholeAtLeast(
    'cleanupBatchSize',
    options.cleanupBatchSize ?? postgresStoreDefaults.cleanupBatchSize,
    1,
  );
  const createSchema = options.createSchema ?? postgresStoreDefaults.createSchema;
  const schemaSql = postgresStoreSchema(options);
  // The schema's lock first (every table of a schema shares its CREATE SCHEMA), then the table's
  // (which a previous version, starting beside this one, takes alone).
  const lockSql = names.lockKeys.map((key) => `SELECT pg_advisory_xact_lock(hashtext(${escape(key)}))`).join('; ');

  let ready: Promise<void> | undefined;

  /** Creates the schema once, on a connection of its own (a failed attempt is retried by the next call). */
  function ensureSchema(): Promise<void> {
    if (!createSchema) return Promise.resolve();
    ready ??= (async () => {
      const { client, giveBack } = await checkOut(pool, settings.timeout, 'a connection');
      try {
        await withDeadline(
          client.query(`BEGIN; ${lockSql}; ${schemaSql}; COMMIT`),
          settings.timeout * 5,
          'the schema creation',
        );
        giveBack();
      } catch (error) {
        giveBack(error as Error); // closed: an open or failed transaction never goes back to the pool
        throw error;
      }
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  }

  /** One call of a store function: the schema ensured, bounded by `timeout`. */
  async function call<Row extends object>(
    text: string,
    values: unknown[],
    what: string,
    late?: (row: Row | undefined) => void,
  ): Promise<Row> {
    await ensureSchema();
    const reply = await withDeadline(pool.query<Row>(text, values), settings.timeout, what, (result) =>
      late?.(result.rows[0]),
    );
    return reply.rows[0]!;
  }

  async function cleanup({ batchSize = cleanupBatchSize }: { batchSize?: number } = {}): Promise<number> {
    wholeAtLeast('batchSize', batchSize, 1);
    let deleted = 0;
    for (;;) {
      await ensureSchema();
      const { rowCount } = await withDeadline(
        pool.query(
          `DELETE FROM ${names.table} WHERE id IN (
             SELECT id FROM ${names.table} WHERE expires_at <= clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED
           ) AND expires_at <= clock_timestamp()`,
          [batchSize],
        ),
        settings.timeout,
        'cleanup',
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) return deleted;
    }
  }

  let cleanupTimer: NodeJS.Timeout | undefined;
  if (cleanupInterval > 0) {
    cleanupTimer = setInterval(() => void cleanup({ batchSize: cleanupBatchSize }).catch(() => {}), cleanupInterval);
    cleanupTimer.unref();
  }

  const schema = options.schema ?? postgresLocationDefaults.schema;
  const table = options.table ?? postgresLocationDefaults.table;
  const defaultLocation = schema === postgresLocationDefaults.schema && table === postgresLocationDefaults.table;

  return {
    // Two stores kept apart by schema or table hand `derive(name)` different keys, as Redis prefixes do;
    // the default location adds nothing, so derived keys stay what they were before namespaces.
    ...(!defaultLocation && { namespace: `${schema}.${table}` }),
    async begin({ id, scopeId, fingerprint, owner, leaseMs, ttlMs }): Promise<BeginOutcome> {
      const row = await call<BeginRow>(
        `SELECT * FROM ${names.begin}($1, $2, $3, $4, $5, $6)`,
        [id, scopeId, fingerprint, owner, leaseMs, ttlMs],
        'begin',
        // A claim that answered after its deadline holds the key for nobody: free it.
        (late) => {
          if (late?.status === 'acquired') pool.query(`SELECT ${names.release}($1, $2)`, [id, owner]).catch(() => {});
        },
      );
      switch (row.status) {
        case 'acquired':
          return { status: 'acquired', fence: Number(row.fence), takeover: row.takeover === true };
        case 'completed':
          return { status: 'completed', result: row.result ?? '' };
        case 'running':
          return { status: 'running', leaseRemainingMs: Number(row.lease_remaining_ms) };
        default:
          return { status: 'mismatch' };
      }
    },
    async extend({ id, owner, leaseMs }) {
      const row = await call<{ ok: boolean }>(
        `SELECT ${names.extend}($1, $2, $3) AS ok`,
        [id, owner, leaseMs],
        'extend',
      );
      return row.ok;
    },
    async complete({ id, owner, result, ttlMs }) {
      const row = await call<{ ok: boolean }>(
        `SELECT ${names.complete}($1, $2, $3, $4) AS ok`,
        [id, owner, result, ttlMs],
        'complete',
      );
      return row.ok;
    },
    async release({ id, owner }) {
      const row = await call<{ ok: boolean }>(`SELECT ${names.release}($1, $2) AS ok`, [id, owner], 'release');
      return row.ok;
    },
    async openTransaction(request, transactionOptions) {
      await ensureSchema();
      return openPostgresTransaction({ pool, names, settings, literal: escape }, request, transactionOptions);
    },
    cleanup,
    async ping() {
      await withDeadline(pool.query('SELECT 1'), settings.timeout, 'ping');
    },
    async inspect(id, { includeResult = false } = {}) {
      const row = await call<InspectRow>(
        `SELECT state, fence, takeover, lease_until, expires_at, CASE WHEN $2 THEN result END AS result
         FROM ${names.table} WHERE id = $1 AND expires_at > clock_timestamp()`,
        [id, includeResult],
        'inspect',
      );
      if (!row) return undefined;
      return {
        state: row.state,
        fence: Number(row.fence),
        takeover: row.takeover,
        ...(row.state === 'running' && row.lease_until ? { leaseExpiresAt: row.lease_until } : {}),
        expiresAt: row.expires_at,
        ...(includeResult && row.state === 'done' ? { result: row.result ?? '' } : {}),
      };
    },
    async forget(id) {
      const row = await call<{ live: boolean }>(
        `DELETE FROM ${names.table} WHERE id = $1 RETURNING expires_at > clock_timestamp() AS live`,
        [id],
        'forget',
      );
      return row?.live === true;
    },
    close() {
      clearInterval(cleanupTimer);
    },
  };
}

/** An SQL string literal (standard-conforming strings; backslashes escaped in an `E''` literal), as pg's `escapeLiteral` writes it. */
function escape(text: string): string {
  const quoted = `'${text.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`;
  return text.includes('\\') ? ` E${quoted}` : quoted;
}
