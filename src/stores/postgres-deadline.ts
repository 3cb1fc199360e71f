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

/** True when `error` is an error the PostgreSQL server sent (it answered); false for a lost or timed-out connection. */
export function isServerError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    typeof (error as { severity?: unknown }).severity === 'string' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
