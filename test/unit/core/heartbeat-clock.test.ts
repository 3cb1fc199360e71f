// Origin: an adversarial review of the performance changes (shared heartbeat, synchronous observer end).
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  IdempotencyConcurrentRequestError,
  type IdempotencyEvent,
} from '../../../src/index.js';

/**
 * The shared heartbeat timer decides "is a renewal due?" and "is maxRunTime reached?" with
 * `Date.now()` (wall clock), while the old per-attempt setInterval / setTimeout ran on Node's
 * monotonic timer clock. A wall-clock step (NTP correction, VM resume) therefore stalls every
 * renewal of the engine (step back) or declares every running attempt past `maxRunTime` (step
 * forward). The store's lease clock (a Redis server on another host, PostgreSQL) does not step with
 * the application host's clock: it is simulated by a memory store whose clock is compensated.
 */
describe('heartbeat under a wall-clock step (store clock unaffected)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    // performance.now() (the heartbeat's steady clock) is faked too; setSystemTime moves Date only.
    vi.useFakeTimers({
      now: new Date('2026-01-01T00:00:00Z'),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
    });
    let storeSkew = 0;
    // The store's clock keeps running steadily: the host's clock step is undone for it.
    const store = createMemoryStore({ now: () => Date.now() + storeSkew });
    const stepWallClock = (ms: number) => {
      vi.setSystemTime(Date.now() + ms); // timers keep their relative due times (a monotonic clock)
      storeSkew -= ms;
    };
    const events: IdempotencyEvent[] = [];
    const engine = createIdempotencyEngine({
      store,
      lease: 3_000,
      maxRunTime: 60_000,
      onEvent: (event) => events.push(event),
    });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const request = {
      scope: 'user-1',
      operation: 'pay',
      key: 'k1',
      input: { amount: 1 },
      run: async () => {
        runs++;
        await gate;
        return runs;
      },
    };
    return { engine, events, request, stepWallClock, runs: () => runs, release };
  }

  it('a backward step of the wall clock stops lease renewal: a retry takes over while the body runs', async () => {
    const { engine, request, stepWallClock, runs, release } = setup();
    const first = engine.execute(request);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs()).toBe(1);

    stepWallClock(-3_600_000); // NTP steps the host clock back one hour

    await vi.advanceTimersByTimeAsync(10_000); // the body keeps running 10 s (< maxRunTime 60 s)
    // The holder is alive and well inside maxRunTime: a retry must be refused with 409.
    const retry = engine.execute(request).then(
      (result) => result,
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(10);
    release();
    await vi.advanceTimersByTimeAsync(10);
    await first;
    expect(await retry).toBeInstanceOf(IdempotencyConcurrentRequestError);
    expect(runs()).toBe(1);
  });

  it('a forward step of the wall clock reports run-limit-exceeded at once and lets a retry take over', async () => {
    const { engine, events, request, stepWallClock, runs, release } = setup();
    const first = engine.execute(request);
    await vi.advanceTimersByTimeAsync(100);

    stepWallClock(+3_600_000); // the host clock jumps one hour ahead

    await vi.advanceTimersByTimeAsync(5_000); // 5 s of running body, far below maxRunTime (60 s)
    expect(events.map((event) => event.type)).not.toContain('run-limit-exceeded');
    const retry = engine.execute(request).then(
      (result) => result,
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(10);
    release();
    await vi.advanceTimersByTimeAsync(10);
    await first;
    expect(await retry).toBeInstanceOf(IdempotencyConcurrentRequestError);
    expect(runs()).toBe(1);
  });

  it('control: without a clock step a 10 s body keeps its lease', async () => {
    const { engine, request, runs, release } = setup();
    const first = engine.execute(request);
    await vi.advanceTimersByTimeAsync(10_100);
    const retry = engine.execute(request).then(
      (result) => result,
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(10);
    release();
    await vi.advanceTimersByTimeAsync(10);
    await first;
    expect(await retry).toBeInstanceOf(IdempotencyConcurrentRequestError);
    expect(runs()).toBe(1);
  });
});
