import pg from 'pg';
import type { Payment, PaymentInput } from './fixture.js';

/** The schema and table the bench creates for itself; nothing else in the database is touched. */
export const PG_SCHEMA = 'bench_idempotency';
export const PG_TABLE = `${PG_SCHEMA}.payments`;
/** The claims of the PostgreSQL structural ceiling (see bench/http/servers.ts). */
export const PG_CEILING_CLAIMS = `${PG_SCHEMA}.ceiling_claims`;

/**
 * Where a PostgreSQL server is looked for, in order: `BENCH_PG_URL` if set, then the database
 * `test` as user `postgres` or `root` over TCP on 127.0.0.1:5432 and over the Unix socket.
 * `BENCH_PG_URL=off` skips the PostgreSQL rows.
 */
export function postgresCandidates(): string[] {
  const fromEnv = process.env.BENCH_PG_URL;
  if (fromEnv === 'off') return [];
  const local = ['postgres', 'root'].flatMap((user) => [
    `postgres://${user}@127.0.0.1:5432/test`,
    `postgres://${user}@localhost/test?host=/var/run/postgresql`,
  ]);
  return fromEnv ? [fromEnv, ...local] : local;
}

/** The PostgreSQL server found for the run, with the bench's table created in it. */
export interface BenchPostgres {
  url: string;
  /** e.g. `PostgreSQL 16.4, synchronous_commit on, fsync on`. */
  description: string;
  /** Empties the payments table (between phases, so every phase starts from the same table size). */
  truncate(): Promise<void>;
  rowCount(): Promise<number>;
  close(): Promise<void>;
}

/** Connects to the first reachable candidate and creates the schema and table; `reason` says why none was usable. */
export async function connectBenchPostgres(): Promise<BenchPostgres | { unavailable: string }> {
  const failures: string[] = [];
  for (const url of postgresCandidates()) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
    } catch (error) {
      failures.push(`${redact(url)}: ${(error as Error).message}`);
      await client.end().catch(() => {});
      continue;
    }
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${PG_TABLE} (
         id bigserial PRIMARY KEY,
         amount integer NOT NULL,
         currency text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await client.query(`CREATE TABLE IF NOT EXISTS ${PG_CEILING_CLAIMS} (id text PRIMARY KEY, result text)`);
    const setting = async (name: string) =>
      (await client.query<{ value: string }>(`SELECT current_setting('${name}') AS value`)).rows[0]?.value ?? '?';
    const version = (await setting('server_version')).split(' ')[0];
    const description = `PostgreSQL ${version} (${redact(url)}), synchronous_commit ${await setting('synchronous_commit')}, fsync ${await setting('fsync')}`;
    return {
      url,
      description,
      truncate: async () => void (await client.query(`TRUNCATE ${PG_TABLE}, ${PG_CEILING_CLAIMS} RESTART IDENTITY`)),
      rowCount: async () =>
        Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${PG_TABLE}`)).rows[0]?.n ?? 0),
      close: () => client.end(),
    };
  }
  return {
    unavailable: failures.length ? `no PostgreSQL server reachable (tried ${failures.join('; ')})` : 'BENCH_PG_URL=off',
  };
}

/** A connection pool for a bench server: one connection per load-generator connection. */
export const createPool = (url: string, max: number) => new pg.Pool({ connectionString: url, max });

/** The payment row `input` makes, inserted on `client` (inside whatever transaction it is in). */
export async function insertPaymentOn(client: pg.ClientBase, input: PaymentInput): Promise<Payment> {
  const { rows } = await client.query<{ id: string; created_at: Date }>(
    `INSERT INTO ${PG_TABLE} (amount, currency) VALUES ($1, $2) RETURNING id, created_at`,
    [input.amount, input.currency],
  );
  const row = rows[0];
  if (!row) throw new Error('INSERT returned no row');
  return { id: `pay_${row.id}`, amount: input.amount, currency: input.currency, createdAt: row.created_at };
}

/**
 * Runs `body` in `BEGIN … COMMIT` on a pooled connection; `commit` replaces the plain `COMMIT` (a
 * statement sent together with it in one round trip, as the PostgreSQL store sends its completion).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  body: (client: pg.PoolClient) => Promise<T>,
  commit: (client: pg.PoolClient, value: T) => string = () => 'COMMIT',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const value = await body(client);
    await client.query(commit(client, value));
    return value;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** The realistic mutation body: insert the payment row in its own transaction (`BEGIN; INSERT …; COMMIT`). */
export const insertPaymentRow = (pool: pg.Pool, input: PaymentInput): Promise<Payment> =>
  inTransaction(pool, (client) => insertPaymentOn(client, input));

/** Hides a password, if the URL has one. */
const redact = (url: string) => url.replace(/:[^:@/]*@/, ':…@');
