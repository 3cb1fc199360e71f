import type { Pool, PoolClient } from 'pg';

/** Raised when PostgreSQL did not answer one call of the store within its `timeout`. */
export class PostgresTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`PostgreSQL did not answer ${what} within ${ms} ms`);
    this.name = 'PostgresTimeoutError';
  }
}

/**
 * `call`, or a {@link PostgresTimeoutError} after `ms`. When the deadline wins, `late` receives the
 * call's value if it still arrives (to give back a connection, or undo a claim nobody will use).
 */
export function withDeadline<T>(call: Promise<T>, ms: number, what: string, late?: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new PostgresTimeoutError(what, ms));
    }, ms);
  });
  call.then(
    (value) => {
      if (expired) late?.(value);
    },
    () => {},
  );
  return Promise.race([call, expiry]).finally(() => clearTimeout(timer));
}

/**
 * SQLSTATEs of errors that end the session: class 08 (connection exception), 57P01 admin_shutdown
 * (`pg_terminate_backend`), 57P02 crash_shutdown, 57P03 cannot_connect_now, 57P04 database_dropped,
 * 57P05 idle_session_timeout, 25P03 idle_in_transaction_session_timeout.
 */
const SESSION_ENDING = /^(08...|57P0[1-5]|25P03)$/;

/**
 * True when `error` is a refusal the PostgreSQL server sent on a session that lives on (severity
 * ERROR): the statement failed and its transaction did not commit. False for a lost or timed-out
 * connection, and for an error that ended the session (FATAL or PANIC, a connection exception,
 * an administrator's shutdown): such an error can arrive while a COMMIT is under way, so it says
 * nothing about whether the COMMIT took effect.
 */
export function isServerRefusal(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const { severity, code } = error as { severity?: unknown; code?: unknown };
  return (
    typeof severity === 'string' &&
    typeof code === 'string' &&
    severity !== 'FATAL' &&
    severity !== 'PANIC' &&
    !SESSION_ENDING.test(code)
  );
}

/** A connection checked out of the pool, to be given back once with {@link CheckedOut.giveBack}. */
export interface CheckedOut {
  client: PoolClient;
  /** Returns the connection to the pool, once; closed (never reused) with `error`, or when it broke while out. */
  giveBack(error?: Error): void;
}

/**
 * A connection from `pool` within `ms`, listened to while it is out: pg gives a checked-out client
 * no 'error' listener, so a session that ends while it is out (a connection lost mid-query, an
 * idle-in-transaction timeout while the body waits) would be an uncaught exception that ends the
 * process. The error is kept instead, and the connection closed when given back.
 */
export async function checkOut(pool: Pool, ms: number, what: string): Promise<CheckedOut> {
  const client = await withDeadline(pool.connect(), ms, what, (late) => late.release());
  let broken: Error | undefined;
  const onError = (error: Error) => (broken ??= error);
  client.on('error', onError);
  let givenBack = false;
  return {
    client,
    giveBack(error) {
      if (givenBack) return;
      givenBack = true;
      client.removeListener('error', onError);
      client.release(error ?? broken ?? false);
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
