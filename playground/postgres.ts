import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresStoreSchema } from '../src/stores/postgres-schema.js';
import { createPostgresStore, type PostgresStore } from '../src/stores/postgres.js';
import { chargesTableSql } from './postgres-ledger.js';

/** Where one playground run keeps its tables: a schema of its own (`playground_<8 hex>`) in the database at `url`. */
export interface RunSchema {
  url: string;
  schema: string;
}

/** One process's way into the run's schema: a pool on the database, and the store whose table lives there. */
export interface RunDatabase {
  location: RunSchema;
  pool: pg.Pool;
  store: PostgresStore;
  /** Stops the store's cleanup and ends the pool; the process that created the schema drops it first. */
  close(): Promise<void>;
}

/** The URL with its password hidden, for messages. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

function poolOn(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {}); // an idle connection the server closed: the pool opens another when needed
  return pool;
}

/** The store on the run's schema (created already), and a `close()` that runs `beforeEnd` before it ends the pool. */
function runDatabase(location: RunSchema, pool: pg.Pool, beforeEnd: () => Promise<void>): RunDatabase {
  const store = createPostgresStore({ pool, schema: location.schema, createSchema: false });
  return {
    location,
    pool,
    store,
    async close() {
      store.close();
      try {
        await beforeEnd();
      } finally {
        await pool.end();
      }
    },
  };
}

/** Opens the run's schema, created by the playground's process, from another process (instance A). */
export function joinRunSchema(location: RunSchema): RunDatabase {
  return runDatabase(location, poolOn(location.url), async () => {});
}

/**
 * Creates a schema of its own for this run in the database at `url`, with the store's table and
 * functions (`idempotency_records`) and the ledger's (`charges`), in one transaction, so parallel
 * runs never share a row. `close()` drops the schema. Rejects with a clear message when PostgreSQL
 * cannot be reached or the schema cannot be created, after ending its pool.
 */
export async function createRunSchema(url: string): Promise<RunDatabase> {
  const location = { url, schema: `playground_${randomBytes(4).toString('hex')}` };
  const pool = poolOn(url);
  try {
    const client = await pool.connect().catch((error: Error) => {
      throw new Error(`Cannot reach PostgreSQL at ${shown(url)}: ${error.message}`, { cause: error });
    });
    try {
      await client.query(
        `BEGIN; CREATE SCHEMA "${location.schema}"; ${postgresStoreSchema({ schema: location.schema })}; ${chargesTableSql(location.schema)}; COMMIT`,
      );
      client.release();
    } catch (error) {
      client.release(error as Error); // never back to the pool inside a failed transaction
      throw new Error(`Cannot create the playground's schema in ${shown(url)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
  return runDatabase(location, pool, async () => {
    await pool.query(`BEGIN; SET LOCAL lock_timeout = '10s'; DROP SCHEMA "${location.schema}" CASCADE; COMMIT`);
  });
}
