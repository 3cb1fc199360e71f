// Waiters share one poll per record (issue #18 item 6): 200 requests waiting on one key, counted at the store.
import { describe, expect, it, vi } from 'vitest';
import { createIdempotencyEngine } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { countingStore } from '../../unit/core/counting-store.js';

const WAITERS = 200;
/** Poll rounds the body outlasts: at 20 ms growing to 200 ms apart, about a 2 s body. */
const POLL_ROUNDS = 14;

describe('200 requests waiting on one running key, on real Redis', () => {
  it('share one poll: the store sees each waiter’s own begin twice at most, plus one poll per round', async () => {
    const counting = countingStore(createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('waiters') }));
    const engine = createIdempotencyEngine({ store: counting.store, concurrent: { wait: 120_000 } });
    const request = { scope: 'u', operation: 'pay', key: 'k', input: { amount: 1 } };
    let runs = 0;
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const run = async () => {
      runs++;
      await gate;
      return { paid: 1 };
    };

    const first = engine.execute({ ...request, run });
    await vi.waitFor(() => expect(runs).toBe(1), { timeout: 30_000 });
    const waiters = Array.from({ length: WAITERS }, () => engine.execute({ ...request, run }));
    await vi.waitFor(() => expect(counting.begins.length).toBeGreaterThanOrEqual(1 + WAITERS + POLL_ROUNDS), {
      timeout: 60_000,
    });
    openGate();

    await expect(first).resolves.toEqual({ value: { paid: 1 }, replayed: false });
    const answers = await Promise.all(waiters);
    expect(answers).toEqual(Array(WAITERS).fill({ value: { paid: 1 }, replayed: true }));
    expect(runs).toBe(1);

    const perOwner = counting.beginsPerOwner();
    const polls = Math.max(...perOwner) - 1; // The polling waiter's begins after its first.
    expect(polls).toBeGreaterThanOrEqual(POLL_ROUNDS);
    // Everyone but the polling waiter: its first begin, and one after the record completed.
    expect(perOwner.filter((count) => count > 2)).toHaveLength(1);
    expect(counting.begins.length).toBeLessThanOrEqual(1 + 2 * WAITERS + polls);
  }, 120_000);
});
