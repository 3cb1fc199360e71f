/** What a heartbeat needs: the renewal and how to report. */
export interface HeartbeatOptions {
  /** Renews the lease; resolves `false` when the lease was lost (taken over), rejects on a store error. */
  renew: () => Promise<boolean>;
  /** Milliseconds between renewals. */
  everyMs: number;
  /** Longest time the lease is renewed at all; afterwards the heartbeat stops and `onLimit` is called. */
  limitMs: number;
  onError: (error: unknown) => void;
  onLimit: () => void;
}

/**
 * Renews a running attempt's lease every `everyMs` until stopped, until the lease is lost, or, as a
 * last resort against an attempt nobody finishes, until `limitMs` has passed. Returns `stop`.
 */
export function startHeartbeat({ renew, everyMs, limitMs, onError, onLimit }: HeartbeatOptions): () => void {
  const stop = () => {
    clearInterval(renewal);
    clearTimeout(limit);
  };
  const renewal = setInterval(() => {
    // A renew that throws synchronously is reported like a rejection, not left to crash the process from a timer.
    new Promise<boolean>((resolve) => resolve(renew())).then(
      (held) => held || stop(), // Taken over: renewing is pointless, and completion will be refused.
      onError,
    );
  }, everyMs);
  const limit = setTimeout(() => {
    stop();
    onLimit();
  }, limitMs);
  renewal.unref();
  limit.unref();
  return stop;
}
