import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import { postgresStoreNames } from '../src/stores/postgres-schema.js';
import {
  chargeWrite,
  staleFence,
  type Channel,
  type Charge,
  type ChargeWrite,
  type Ledger,
  type LedgerOptions,
  type LedgerWrite,
} from './ledger.js';

/** The quoted name of the ledger's table in the run's schema. */
const chargesTable = (schema: string) => `"${schema}".charges`;

/**
 * The SQL that creates the ledger's table in `schema`: one row per charge, a protected run's
 * charge keyed by its payment id (`derive('payment')`, unique), its fence beside it.
 */
export function chargesTableSql(schema: string): string {
  return `CREATE TABLE ${chargesTable(schema)} (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payment_id text UNIQUE,
  amount_cents integer NOT NULL,
  description text NOT NULL,
  channel text NOT NULL,
  request_key text,
  fence integer,
  writes jsonb NOT NULL,
  created_at timestamptz NOT NULL
)`;
}

interface ChargeRow {
  seq: string;
  amount_cents: number;
  description: string;
  channel: Channel;
  request_key: string | null;
  fence: number | null;
  writes: ChargeWrite[];
  created_at: Date;
}

const toCharge = (row: ChargeRow): Charge => ({
  id: `ch_${row.seq}`,
  amountCents: row.amount_cents,
  description: row.description,
  channel: row.channel,
  requestKey: row.request_key,
  fence: row.fence,
  writes: row.writes,
  createdAt: row.created_at.toISOString(),
});

/** Where the PostgreSQL ledger keeps its charges: the run's pool and schema. */
export interface PostgresLedgerOptions extends LedgerOptions {
  pool: Pool;
  schema: string;
}

/**
 * The ledger as a table (`<schema>.charges`) in the database of the PostgreSQL store. A protected
 * run writes its charge through the run's store transaction (`run.tx()`), so the charge commits
 * with the stored answer or not at all: a holder killed before it answered leaves no row. Like the
 * memory ledger, the charge is keyed by its payment id and fenced (an upsert that refuses a smaller
 * fence). An unprotected call (no run) writes on its own, committed at once.
 */
export function createPostgresLedger({ pool, schema, latencyMs, onWrite }: PostgresLedgerOptions): Ledger {
  const table = chargesTable(schema);
  const records = postgresStoreNames({ schema }).table;
  return {
    transactional: true,
    async charge(request, details, run) {
      await sleep(latencyMs);
      const client: Pool | PoolClient = run ? await run.tx<PoolClient>() : pool;
      const entry = chargeWrite(details);
      const values = [
        details.run?.paymentId ?? null,
        request.amountCents,
        request.description,
        details.channel,
        details.requestKey,
        entry.fence,
        JSON.stringify([entry]),
        entry.at,
      ];
      const { rows } = await client.query<ChargeRow>(
        `INSERT INTO ${table} AS c (payment_id, amount_cents, description, channel, request_key, fence, writes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
         ON CONFLICT (payment_id) DO UPDATE
           SET amount_cents = EXCLUDED.amount_cents, description = EXCLUDED.description, fence = EXCLUDED.fence,
               writes = c.writes || EXCLUDED.writes
           WHERE c.fence <= EXCLUDED.fence
         RETURNING *`,
        values,
      );
      const inTransaction = run !== undefined;
      const [written] = rows;
      if (!written) {
        const held = await client.query<ChargeRow>(`SELECT * FROM ${table} WHERE payment_id = $1`, [values[0]]);
        const charge = toCharge(held.rows[0]!);
        onWrite?.({ kind: 'refused', charge, details, inTransaction });
        throw staleFence(charge, entry.fence!);
      }
      const charge = toCharge(written);
      const kind: LedgerWrite['kind'] = charge.writes.length > 1 ? 'rewritten' : 'inserted';
      onWrite?.({ kind, charge, details, inTransaction });
      return charge;
    },
    async list() {
      const { rows } = await pool.query<ChargeRow>(`SELECT * FROM ${table} ORDER BY seq`);
      return rows.map(toCharge);
    },
    async reset() {
      // Waits (up to 5 s) for a charge still open in a transaction, such as a stuck instance A's.
      await pool.query(`BEGIN; SET LOCAL lock_timeout = '5s'; TRUNCATE ${table}, ${records} RESTART IDENTITY; COMMIT`);
    },
  };
}
