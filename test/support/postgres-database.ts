import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth), or `PG_TEST_URL`; a fresh database is created on it per test file. */
const serverUrl = () => process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A database of its own for one test file, dropped by `drop()`. */
export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  /** A pool on the database; every pool made here is ended by `drop()`. */
  pool(config?: pg.PoolConfig): pg.Pool;
  /** Rows of `table` now, counted by the database. */
  count(table: string): Promise<number>;
  /** Ends the pools, terminates leftover sessions and drops the database. */
  drop(): Promise<void>;
}

/** Creates `idem_test_<pid>_<random>` on the server at `url` (default: the machine's) and returns it. */
export async function createTestDatabase(url = serverUrl()): Promise<TestDatabase> {
  const name = `idem_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const pools: pg.Pool[] = [];
  const pool = (config: pg.PoolConfig = {}) => {
    const made = new pg.Pool({ connectionString: target.toString(), ...config });
    made.on('error', () => {}); // idle clients whose session the tests end on purpose
    pools.push(made);
    return made;
  };
  const counter = pool({ max: 2 });
  return {
    url: target.toString(),
    name,
    pool,
    async count(table) {
      const { rows } = await counter.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      return Number(rows[0]!.n);
    },
    async drop() {
      await Promise.all(pools.map((each) => each.end().catch(() => {})));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
