import { performance } from 'node:perf_hooks';

interface Pending {
  deadline: number;
  settled: boolean;
  reject: (error: Error) => void;
}

/**
 * Bounds calls to `timeoutMs` with one timer for all of them, instead of a timer and a
 * `Promise.race` per call. Every call gets the same timeout, so deadlines come in the order calls
 * are made: a FIFO queue holds them, and the one timer waits for the oldest unsettled one. Returns
 * `bounded(call)`, which settles as `call` does, or rejects with `timedOut()` once `timeoutMs` has
 * passed (the call itself is left to finish or fail on its own).
 */
export function createDeadlines(timeoutMs: number, timedOut: () => Error): <T>(call: Promise<T>) => Promise<T> {
  const queue: Pending[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;

  function expire(): void {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length) {
      const pending = queue[head]!;
      if (!pending.settled) {
        if (pending.deadline > now) break;
        pending.settled = true;
        pending.reject(timedOut());
      }
      queue[head++] = undefined as never;
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else {
      if (head > 1_024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      arm(queue[head]!.deadline - now);
    }
  }

  function arm(delay: number): void {
    // Unreferenced: a pending call keeps the process alive through its connection, not through its deadline.
    timer = setTimeout(expire, Math.max(0, Math.ceil(delay))).unref();
  }

  return function bounded<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { deadline: performance.now() + timeoutMs, settled: false, reject };
      queue.push(pending);
      if (timer === undefined) arm(timeoutMs);
      call.then(
        (value) => {
          if (pending.settled) return;
          pending.settled = true;
          resolve(value);
        },
        (error: unknown) => {
          if (pending.settled) return;
          pending.settled = true;
          reject(error);
        },
      );
    });
  };
}
