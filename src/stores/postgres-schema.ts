/**
 * The SQL of the PostgreSQL store: one table (one row per record) and one PL/pgSQL function per
 * transition. Lease and expiry times come from the database server's clock (`clock_timestamp()`),
 * never from the application servers'. Every function is idempotent for its own owner, as the
 * store contract requires: the owner token stays on a done or freed row, so a re-sent call answers
 * as the first did.
 */

/** Where the store keeps its records. */
export interface PostgresStoreLocation {
  /** Table of the records; its functions are named after it (`<table>_begin`, …). Defaults to `'idempotency_records'`. */
  table?: string;
  /** Schema of the table and its functions; created if missing. Defaults to `'public'`. */
  schema?: string;
}

/** Defaults of {@link PostgresStoreLocation}. */
export const postgresLocationDefaults = { table: 'idempotency_records', schema: 'public' } as const;

/** SQLSTATE raised by `<table>_commit` when this attempt no longer holds its record: the transaction must not commit. */
export const RECORD_LOST_SQLSTATE = 'IM001';
/** SQLSTATE raised when the transaction `tx()` opened was ended by the body (a COMMIT or ROLLBACK of its own). */
export const TRANSACTION_ENDED_SQLSTATE = 'IM002';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The longest function-name suffix, so every generated name fits PostgreSQL's 63-byte identifiers. */
const LONGEST_SUFFIX = '_assert_xact'.length;

function checkedIdentifier(option: string, value: string, maxLength: number): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || value.length > maxLength)
    throw new TypeError(
      `postgres store option "${option}" must be a plain SQL identifier (letters, digits, _; at most ${maxLength} characters), got ${JSON.stringify(value)}.`,
    );
  return value;
}

/** Quoted, schema-qualified names of the table and its functions. */
export interface PostgresStoreNames {
  table: string;
  begin: string;
  extend: string;
  complete: string;
  release: string;
  commit: string;
  assertTransaction: string;
  /**
   * The expiry index, quoted, without a schema (an index lives in its table's): named after the whole
   * table name, `<table>_expires_at_idx` where that fits PostgreSQL's 63 bytes (as every version named
   * it), else `<table>_expires_idx`, so two tables of one schema never share one.
   */
  expiryIndex: string;
  /**
   * Keys of the advisory locks taken, in this order, while the schema is created, so concurrent first
   * uses wait for each other: the schema's (its tables share `CREATE SCHEMA`), then the table's.
   */
  lockKeys: [schema: string, table: string];
}

/** The names the store uses for `location`; throws a TypeError on a name that is not a plain identifier. */
export function postgresStoreNames(location: PostgresStoreLocation = {}): PostgresStoreNames {
  const table = checkedIdentifier('table', location.table ?? postgresLocationDefaults.table, 63 - LONGEST_SUFFIX);
  const schema = checkedIdentifier('schema', location.schema ?? postgresLocationDefaults.schema, 63);
  const name = (suffix: string) => `"${schema}"."${table}${suffix}"`;
  return {
    table: name(''),
    begin: name('_begin'),
    extend: name('_extend'),
    complete: name('_complete'),
    release: name('_release'),
    commit: name('_commit'),
    assertTransaction: name('_assert_xact'),
    expiryIndex: `"${expiryIndexName(table)}"`,
    lockKeys: [`idempotent-mutations:${schema}`, `idempotent-mutations:${schema}.${table}`],
  };
}

function expiryIndexName(table: string): string {
  const name = `${table}_expires_at_idx`;
  return name.length <= 63 ? name : `${table}_expires_idx`;
}

const MS = "* interval '1 millisecond'";

/**
 * The SQL that creates the store's schema: table, expiry index and functions. Idempotent (`IF NOT
 * EXISTS`, `CREATE OR REPLACE`); the store runs it on first use inside one transaction under
 * advisory locks (the schema's, then the table's), so stores on several tables of one schema may
 * start at once. Hand it to a migration tool instead, with `createSchema: false`, where the
 * application's role may not run DDL (one run at a time: `CREATE SCHEMA IF NOT EXISTS` is not safe
 * against a concurrent creator).
 */
export function postgresStoreSchema(location: PostgresStoreLocation = {}): string {
  const n = postgresStoreNames(location);
  const schema = location.schema ?? postgresLocationDefaults.schema;
  return `${schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS "${schema}";\n`}
CREATE TABLE IF NOT EXISTS ${n.table} (
  id text PRIMARY KEY,
  scope_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'done', 'free')),
  fingerprint text,
  owner text NOT NULL,
  fence bigint NOT NULL,
  takeover boolean NOT NULL,
  lease_until timestamptz,
  result text,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${n.expiryIndex} ON ${n.table} (expires_at);

-- Reads first and claims only a new, released, expired or lapsed record, so a replay or a conflict
-- is a plain read (no row lock, no WAL). Each statement of a volatile function takes a fresh
-- snapshot: a claim that lost a race (zero rows inserted or updated) reads again and reports the
-- winner's record. An expired record behaves as absent (fence 1).
CREATE OR REPLACE FUNCTION ${n.begin}(
  p_id text, p_scope_id text, p_fingerprint text, p_owner text, p_lease_ms bigint, p_ttl_ms bigint,
  OUT status text, OUT fence bigint, OUT takeover boolean, OUT result text, OUT lease_remaining_ms bigint
) LANGUAGE plpgsql AS $fn$
DECLARE
  r ${n.table}%ROWTYPE;
  present boolean;
  live boolean;
  now_at timestamptz;
BEGIN
  FOR attempt IN 1..20 LOOP
    now_at := clock_timestamp();
    SELECT * INTO r FROM ${n.table} AS t WHERE t.id = p_id;
    present := FOUND;
    live := present AND r.expires_at > now_at;
    IF live AND r.state <> 'free' THEN
      IF r.fingerprint IS DISTINCT FROM p_fingerprint THEN
        status := 'mismatch';
        RETURN;
      END IF;
      IF r.state = 'done' THEN
        status := 'completed';
        result := r.result;
        RETURN;
      END IF;
      IF r.owner = p_owner THEN
        status := 'acquired';
        fence := r.fence;
        takeover := r.takeover;
        RETURN;
      END IF;
      IF r.lease_until > now_at THEN
        status := 'running';
        lease_remaining_ms := greatest(1, ceil(extract(epoch FROM r.lease_until - now_at) * 1000));
        RETURN;
      END IF;
    END IF;
    IF NOT present THEN
      INSERT INTO ${n.table} AS t (id, scope_id, state, fingerprint, owner, fence, takeover, lease_until, result, expires_at)
      VALUES (p_id, p_scope_id, 'running', p_fingerprint, p_owner, 1, false,
              now_at + p_lease_ms ${MS}, NULL, now_at + p_ttl_ms ${MS})
      ON CONFLICT (id) DO NOTHING;
      IF FOUND THEN
        status := 'acquired';
        fence := 1;
        takeover := false;
        RETURN;
      END IF;
    ELSE
      -- The takeover flag stays set until an attempt completes: a taker that released still
      -- leaves it for the next attempt.
      UPDATE ${n.table} AS t
      SET scope_id = CASE WHEN live THEN t.scope_id ELSE p_scope_id END,
          state = 'running',
          fingerprint = p_fingerprint,
          owner = p_owner,
          fence = CASE WHEN live THEN t.fence + 1 ELSE 1 END,
          takeover = CASE WHEN NOT live THEN false WHEN t.state = 'running' THEN true ELSE t.takeover END,
          lease_until = now_at + p_lease_ms ${MS},
          result = NULL,
          expires_at = now_at + p_ttl_ms ${MS}
      WHERE t.id = p_id AND t.fence = r.fence AND t.state = r.state AND t.owner = r.owner
        AND t.lease_until IS NOT DISTINCT FROM r.lease_until AND t.expires_at = r.expires_at
      RETURNING t.fence, t.takeover INTO fence, takeover;
      IF FOUND THEN
        status := 'acquired';
        RETURN;
      END IF;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'idempotency record % kept changing under 20 claims in a row', p_id;
END
$fn$;

-- Renews the owner's lease, and the record's expiry where it would end sooner.
CREATE OR REPLACE FUNCTION ${n.extend}(p_id text, p_owner text, p_lease_ms bigint) RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
  now_at timestamptz := clock_timestamp();
BEGIN
  UPDATE ${n.table} AS t
  SET lease_until = now_at + p_lease_ms ${MS}, expires_at = greatest(t.expires_at, now_at + p_lease_ms ${MS})
  WHERE t.id = p_id AND t.owner = p_owner AND t.state = 'running' AND t.expires_at > now_at;
  RETURN FOUND;
END
$fn$;

-- Stores the result: true, also when this owner already stored it (writing nothing then).
CREATE OR REPLACE FUNCTION ${n.complete}(p_id text, p_owner text, p_result text, p_ttl_ms bigint) RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
  now_at timestamptz := clock_timestamp();
BEGIN
  UPDATE ${n.table} AS t
  SET state = 'done', result = p_result, lease_until = NULL, takeover = false, expires_at = now_at + p_ttl_ms ${MS}
  WHERE t.id = p_id AND t.owner = p_owner AND t.state = 'running' AND t.expires_at > now_at;
  IF FOUND THEN
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM ${n.table} AS t
                 WHERE t.id = p_id AND t.owner = p_owner AND t.state = 'done' AND t.expires_at > now_at);
END
$fn$;

-- Frees the record for the next attempt, keeping fence and takeover flag: true, also when this owner already freed it.
CREATE OR REPLACE FUNCTION ${n.release}(p_id text, p_owner text) RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
  now_at timestamptz := clock_timestamp();
BEGIN
  UPDATE ${n.table} AS t
  SET state = 'free', fingerprint = NULL, lease_until = NULL
  WHERE t.id = p_id AND t.owner = p_owner AND t.state = 'running' AND t.expires_at > now_at;
  IF FOUND THEN
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM ${n.table} AS t
                 WHERE t.id = p_id AND t.owner = p_owner AND t.state = 'free' AND t.expires_at > now_at);
END
$fn$;

-- Raises unless the current transaction is the one the store opened (xid p_xid): a body that ended
-- it with a COMMIT or ROLLBACK of its own must not have the result stored beside writes it no
-- longer controls.
CREATE OR REPLACE FUNCTION ${n.assertTransaction}(p_xid bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  IF txid_current_if_assigned() IS DISTINCT FROM p_xid THEN
    RAISE EXCEPTION 'the transaction opened for this mutation was ended by its body (a COMMIT or ROLLBACK through the client); nothing was stored'
      USING ERRCODE = '${TRANSACTION_ENDED_SQLSTATE}';
  END IF;
END
$fn$;

-- The last statement of a mutation's transaction: the fenced completion. Raises when this attempt
-- no longer holds its running record, so the COMMIT sent after it in the same query is skipped and
-- the attempt's writes roll back.
CREATE OR REPLACE FUNCTION ${n.commit}(p_id text, p_owner text, p_result text, p_ttl_ms bigint, p_xid bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  now_at timestamptz := clock_timestamp();
BEGIN
  PERFORM ${n.assertTransaction}(p_xid);
  UPDATE ${n.table} AS t
  SET state = 'done', result = p_result, lease_until = NULL, takeover = false, expires_at = now_at + p_ttl_ms ${MS}
  WHERE t.id = p_id AND t.owner = p_owner AND t.state = 'running' AND t.expires_at > now_at;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'idempotency record % is no longer held by this attempt; its writes roll back', p_id
      USING ERRCODE = '${RECORD_LOST_SQLSTATE}';
  END IF;
END
$fn$;
`;
}
