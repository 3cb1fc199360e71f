// Origin: an adversarial review of the performance changes (shared heartbeat, synchronous observer end).
import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine, createMemoryStore, type ExecutionObserver } from '../../../src/index.js';

/**
 * `ExecutionObserver`: "Exceptions it throws are swallowed", also from reading its `end`: an
 * observer whose `end` accessor throws (a Proxy, a class with a getter, a revoked proxy) never
 * turns a stored result into a rejected call.
 */
describe('an observer whose end accessor throws', () => {
  function engineWith(observer: ExecutionObserver) {
    return createIdempotencyEngine({ store: createMemoryStore(), instrument: () => observer });
  }

  it('does not change the outcome of an execution (first run and replay)', async () => {
    const observer = {
      get end(): never {
        throw new Error('observer exploded');
      },
    } as unknown as ExecutionObserver;
    const engine = engineWith(observer);
    let runs = 0;
    const request = { scope: 'u', operation: 'pay', key: 'k', input: {}, run: async () => ++runs };
    await expect(engine.execute(request)).resolves.toEqual({ value: 1, replayed: false });
    await expect(engine.execute(request)).resolves.toEqual({ value: 1, replayed: true });
    expect(runs).toBe(1);
  });
});
