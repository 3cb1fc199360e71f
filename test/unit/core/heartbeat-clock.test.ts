// Origin: an adversarial review of the performance changes (shared heartbeat, synchronous observer end).
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  IdempotencyConcurrentRequestError,
  type IdempotencyEvent,
} from '../../../src/index.js';

/**
 * The shared heartbeat times renewals and `maxRunTime` on the steady clock (`performance.now()`),
 * not the wall clock: a wall-clock step (NTP correction, VM resume) neither stalls every renewal of
 * the engine (step back) nor declares every running attempt past `maxRunTime` (step forward). The
 * store's lease clock (a Redis server on another host, PostgreSQL) does not step with the
 * application host's clock: it is simulated by a memory store whose clock is compensated.
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

  /** A retry while the body still runs is refused with 409; the body then ends, having run once. */
  async function expectRetryRefusedWhileRunning(
    { engine, request, runs, release }: ReturnType<typeof setup>,
    first: Promise<unknown>,
  ) {
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
  }

  it('a backward step of the wall clock does not stop lease renewal: a retry while the body runs gets 409', async () => {
    const setupOf = setup();
    const { engine, request, stepWallClock, runs } = setupOf;
    const first = engine.execute(request);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs()).toBe(1);

    stepWallClock(-3_600_000); // NTP steps the host clock back one hour

    await vi.advanceTimersByTimeAsync(10_000); // the body keeps running 10 s (< maxRunTime 60 s)
    // The holder is alive and well inside maxRunTime: a retry must be refused with 409.
    await expectRetryRefusedWhileRunning(setupOf, first);
  });

  it('a forward step of the wall clock reports no run-limit-exceeded and lets no retry take over', async () => {
    const setupOf = setup();
    const { engine, events, request, stepWallClock } = setupOf;
    const first = engine.execute(request);
    await vi.advanceTimersByTimeAsync(100);

    stepWallClock(+3_600_000); // the host clock jumps one hour ahead

    await vi.advanceTimersByTimeAsync(5_000); // 5 s of running body, far below maxRunTime (60 s)
    expect(events.map((event) => event.type)).not.toContain('run-limit-exceeded');
    await expectRetryRefusedWhileRunning(setupOf, first);
  });

  it('control: without a clock step a 10 s body keeps its lease', async () => {
    const setupOf = setup();
    const { engine, request } = setupOf;
    const first = engine.execute(request);
    await vi.advanceTimersByTimeAsync(10_100);
    await expectRetryRefusedWhileRunning(setupOf, first);
  });
});
