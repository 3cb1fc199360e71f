import type { BeginRequest, IdempotencyStore } from '../../../src/index.js';

/** A store that counts the calls it passes on, and can hold `begin` calls back until a gate opens. */
export function countingStore(inner: IdempotencyStore) {
  const begins: BeginRequest[] = [];
  const calls = { extend: 0, complete: 0, release: 0 };
  let hold: ((request: BeginRequest) => boolean) | undefined;
  let opened: Promise<void> = Promise.resolve();
  let open = () => {};
  const store: IdempotencyStore = {
    async begin(request) {
      begins.push(request);
      if (hold?.(request)) await opened;
      return inner.begin(request);
    },
    extend: (request) => (calls.extend++, inner.extend(request)),
    complete: (request) => (calls.complete++, inner.complete(request)),
    release: (request) => (calls.release++, inner.release(request)),
  };
  return {
    store,
    begins,
    calls,
    /** Holds back every `begin` that `which` picks until `release` is called. */
    holdBegins(which: (request: BeginRequest) => boolean) {
      hold = which;
      opened = new Promise((resolve) => (open = resolve));
    },
    release() {
      hold = undefined;
      open();
    },
    /** How many `begin` calls each owner token sent. */
    beginsPerOwner(): number[] {
      const counts = new Map<string, number>();
      for (const { owner } of begins) counts.set(owner, (counts.get(owner) ?? 0) + 1);
      return [...counts.values()];
    },
  };
}
