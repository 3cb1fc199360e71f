/** Counts procedure runs and lets a test hold a procedure mid-run. */
export interface Probe {
  /** How often each procedure body ran, by path. */
  runs(path: string): number;
  /** Records one run of `path`; returns how often it ran, this run included. */
  ran(path: string): number;
  /** Makes the next run of a holding procedure wait until `release()`; `started` resolves once it runs. */
  hold(): { started: Promise<void>; release(): void };
  /** Awaited by holding procedures. */
  gate(): Promise<void>;
}

export function createProbe(): Probe {
  const counts = new Map<string, number>();
  let pending: { start(): void; released: Promise<void> } | undefined;
  return {
    runs: (path) => counts.get(path) ?? 0,
    ran(path) {
      const count = (counts.get(path) ?? 0) + 1;
      counts.set(path, count);
      return count;
    },
    hold() {
      const started = deferred();
      const released = deferred();
      pending = { start: started.resolve, released: released.promise };
      return { started: started.promise, release: released.resolve };
    },
    async gate() {
      const current = pending;
      pending = undefined;
      if (!current) return;
      current.start();
      await current.released;
    },
  };
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
