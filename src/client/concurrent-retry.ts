import { backoffDelay, retryAfterDelay } from './backoff.js';

/** The `extensions.code` of the GraphQL error that answers a repeat whose first attempt still runs (HTTP 409). */
export const CONCURRENT_REQUEST_CODE = 'IDEMPOTENCY_CONCURRENT_REQUEST';

/**
 * How the Apollo Client link and the urql exchange ride out a 409 `IDEMPOTENCY_CONCURRENT_REQUEST`
 * (the same key's first attempt still runs): they wait for `Retry-After` and send the same
 * operation again, with the same key, until it is answered otherwise or a bound below is reached;
 * then the 409 reaches the application.
 */
export interface ConcurrentRetryOptions {
  /** Re-sends after 409s, per mutation. Defaults to `10`. */
  retries?: number;
  /**
   * Longest total wait for one mutation across its re-sends, in milliseconds; a wait that would pass
   * it is not started, and the 409 reaches the application. Defaults to `15_000`.
   */
  maxTotalWait?: number;
  /** Longest single wait, in milliseconds; caps the server's `Retry-After`. Defaults to `5_000`. */
  maxDelay?: number;
  /**
   * Backoff base in milliseconds for a 409 whose `Retry-After` the client cannot read (a cross-origin
   * response that does not expose the header, and no `retryAfter` in the error's extensions): re-send
   * n waits a random time up to `baseDelay * 2^n`. Defaults to `250`.
   */
  baseDelay?: number;
}

/** The defaults of {@link ConcurrentRetryOptions}. */
export const concurrentRetryDefaults = {
  retries: 10,
  maxTotalWait: 15_000,
  maxDelay: 5_000,
  baseDelay: 250,
} as const satisfies Required<ConcurrentRetryOptions>;

/**
 * Whether a result's GraphQL errors are an `IDEMPOTENCY_CONCURRENT_REQUEST` refusal: its first error
 * carries that code (a refused request is answered with that one error and no data).
 */
export function isConcurrentRefusal(errors: unknown): boolean {
  return Array.isArray(errors) && recordOf(recordOf(errors[0])?.extensions)?.code === CONCURRENT_REQUEST_CODE;
}

/** {@link ConcurrentRetryOptions} with the defaults filled in; a number that is negative or not finite is refused. */
export function concurrentRetrySettings(options: ConcurrentRetryOptions = {}): Required<ConcurrentRetryOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `idempotent-mutations: retryConcurrent must be false or an object of ConcurrentRetryOptions, got ${String(options)}`,
    );
  }
  const settings = { ...concurrentRetryDefaults };
  for (const name of Object.keys(concurrentRetryDefaults) as (keyof ConcurrentRetryOptions)[]) {
    const value = options[name];
    if (value === undefined) continue;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < 0 ||
      (name === 'retries' && !Number.isInteger(value))
    ) {
      throw new TypeError(
        `idempotent-mutations: retryConcurrent.${name} must be a ${name === 'retries' ? 'whole number' : 'number of milliseconds'} >= 0, got ${String(value)}`,
      );
    }
    settings[name] = value as never;
  }
  return settings;
}

/**
 * The waits of one logical mutation between its 409s, within the bounds of
 * {@link ConcurrentRetryOptions}. One instance per mutation (not per attempt), so the bounds hold
 * across every re-send.
 */
export class ConcurrentRetryBudget {
  private retried = 0;
  private waited = 0;

  constructor(
    private readonly settings: Required<ConcurrentRetryOptions>,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The milliseconds to wait before re-sending, when `errors` is a concurrent-request refusal and the
   * bounds allow another re-send; `undefined` when the result goes to the application as it is (not
   * a refusal, or the bounds are reached). The wait is the server's `Retry-After` (`headers`, else
   * `retryAfter` or `http.headers['Retry-After']` in the error's extensions), capped at `maxDelay`,
   * else a jittered backoff.
   */
  waitAfter(errors: unknown, headers?: Pick<Headers, 'get'> | null): number | undefined {
    if (!isConcurrentRefusal(errors)) return undefined;
    const { retries, maxTotalWait, maxDelay, baseDelay } = this.settings;
    if (this.retried >= retries) return undefined;
    const asked = retryAfterDelay(retryAfterOf(errors as unknown[], headers), maxDelay);
    const delay = asked ?? backoffDelay(this.retried, baseDelay, maxDelay, this.random);
    if (this.waited + delay > maxTotalWait) return undefined;
    this.retried++;
    this.waited += delay;
    return delay;
  }
}

/** The `Retry-After` of a refusal: the response header, else what the error's extensions carry. */
function retryAfterOf(errors: unknown[], headers: Pick<Headers, 'get'> | null | undefined): string | null {
  const header = headers?.get('retry-after');
  if (header) return header;
  const extensions = recordOf(recordOf(errors[0])?.extensions);
  const httpHeaders = recordOf(recordOf(extensions?.http)?.headers) ?? {};
  const fromHttp = Object.entries(httpHeaders).find(([name]) => name.toLowerCase() === 'retry-after')?.[1];
  const value = extensions?.retryAfter ?? fromHttp;
  return typeof value === 'number' || typeof value === 'string' ? String(value) : null;
}

function recordOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}
