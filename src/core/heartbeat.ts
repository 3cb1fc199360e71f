/** What a heartbeat needs: how to renew one held lease, how often, for how long, and how to report. */
export interface HeartbeatOptions<T> {
  /** Renews the lease of `held`; resolves `false` when the lease was lost (taken over), rejects on a store error. */
  renew: (held: T) => Promise<boolean>;
  /** Milliseconds between renewals of each lease. */
  everyMs: number;
  /** Longest time a lease is renewed at all, from its `start`; afterwards it is dropped and `onLimit` is called. */
  limitMs: number;
  onError: (held: T, error: unknown) => void;
  onLimit: (held: T) => void;
}

/** One lease being renewed. */
interface Beat<T> {
  held: T;
  /** No renewal from this time on: the lease is dropped and the limit reported. */
  deadline: number;
}

/**
 * Renews the leases of running attempts on one timer: each lease started with `start` is renewed
 * at least every `everyMs` until stopped, until it is lost, or, as a last resort against an attempt
 * nobody finishes, until `limitMs` has passed since its start (never renewed from then on, so the
 * store's `ttl` ≥ `maxRunTime` + `lease` keeps holding). The timer is unreferenced, runs only while
 * leases are held (plus one idle period), and fires at the next renewal or the oldest deadline.
 */
export function createHeartbeat<T>({ renew, everyMs, limitMs, onError, onLimit }: HeartbeatOptions<T>) {
  /** Held leases, in start order: deadlines grow along it, since every lease has the same limit. */
  const beats = new Set<Beat<T>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** When every held lease is renewed next. */
  let renewAt = 0;

  function schedule(now: number): void {
    let at = renewAt;
    for (const beat of beats) {
      at = Math.min(at, beat.deadline);
      break; // the oldest beat has the nearest deadline
    }
    timer = setTimeout(fire, Math.max(0, at - now));
    timer.unref();
  }

  function fire(): void {
    timer = undefined;
    if (beats.size === 0) return; // idle for a whole period: the timer stops until the next start
    const now = performance.now();
    const renewing = now >= renewAt;
    for (const beat of beats) {
      if (beat.deadline <= now) {
        beats.delete(beat);
        onLimit(beat.held);
      } else if (renewing) renewOne(beat);
      else break; // nothing to renew, and the later beats' deadlines are later still
    }
    if (renewing) renewAt = now + everyMs;
    schedule(now);
  }

  function renewOne(beat: Beat<T>): void {
    // A renew that throws synchronously is reported like a rejection, not left to crash the process from a timer.
    new Promise<boolean>((resolve) => resolve(renew(beat.held))).then(
      (held) => held || beats.delete(beat), // Taken over: renewing is pointless, and completion will be refused.
      (error: unknown) => onError(beat.held, error),
    );
  }

  return {
    /** Starts renewing the lease of `held`; returns how to stop. */
    start(held: T): () => void {
      const now = performance.now();
      const beat: Beat<T> = { held, deadline: now + limitMs };
      beats.add(beat);
      if (timer === undefined) {
        renewAt = now + everyMs;
        schedule(now);
      }
      return () => beats.delete(beat);
    },
  };
}
