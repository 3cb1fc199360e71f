// Waiters share one poll per record (issue #18 item 6): one store poll however many wait, each waiter its own answer.
import { describe, expect, it, vi } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  type IdempotencyEvent,
  type IdempotencyOptions,
} from '../../../src/index.js';
import { countingStore } from './counting-store.js';

const request = { scope: 'u', operation: 'pay', key: 'k', input: { amount: 1 } };

function setup(concurrent: IdempotencyOptions['concurrent']) {
  const counting = countingStore(createMemoryStore());
  const events: IdempotencyEvent[] = [];
  const engine = createIdempotencyEngine({ store: counting.store, concurrent, onEvent: (event) => events.push(event) });
  return { engine, counting, types: () => events.map((event) => event.type) };
}

async function holder(engine: ReturnType<typeof setup>['engine'], input: unknown = request.input) {
  const attempt = await engine.begin<string>({ ...request, input });
  if (attempt.status !== 'running') throw new Error('expected the holder to run');
  return attempt;
}

describe('requests waiting on one record (concurrent: { wait })', () => {
  it('polls the store once per round for all of them, and each gets the stored result', async () => {
    const { engine, counting } = setup({ wait: 60_000 });
    const first = await holder(engine);
    const waiters = Array.from({ length: 20 }, () => engine.begin<string>(request));
    // Every waiter made its own first begin; then the shared poll goes on alone for several rounds.
    await vi.waitFor(() => expect(counting.begins.length).toBeGreaterThanOrEqual(1 + 20 + 5), { timeout: 30_000 });
    const polling = counting.beginsPerOwner().filter((count) => count > 1);
    expect(polling).toHaveLength(1); // One owner's begin is the poll; no other waiter polled on its own.
    await first.finish('paid');
    await expect(Promise.all(waiters)).resolves.toEqual(Array(20).fill({ status: 'replayed', value: 'paid' }));
    // Each waiter: its first begin and one after the state changed; the polling one got its answer from the poll.
    expect(counting.beginsPerOwner().filter((count) => count > 2)).toHaveLength(1);
  });

  it('gives each waiter its own answer: a key now held by another input answers 422 to every waiter, never its result', async () => {
    const { engine, counting } = setup({ wait: 60_000 });
    const first = await holder(engine);
    const fingerprintA = counting.begins[0]!.fingerprint;
    const waiters = Array.from({ length: 5 }, () => engine.begin<string>(request));
    await vi.waitFor(() => expect(counting.begins.length).toBeGreaterThanOrEqual(1 + 5), { timeout: 30_000 });
    // Hold the waiters' polls while the key is freed and taken by a request with another input, which completes.
    counting.holdBegins((begin) => begin.fingerprint === fingerprintA);
    await first.abandon(new Error('the first attempt threw'));
    const other = await holder(engine, { amount: 2 });
    await other.finish('paid by another input');
    counting.release();
    const answers = await Promise.allSettled(waiters);
    expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill('rejected'));
    for (const answer of answers)
      expect((answer as PromiseRejectedResult).reason).toMatchObject({
        code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
        status: 422,
      });
  });

  it('lets one waiter take a freed key and run; the others wait on it and replay its result', async () => {
    const { engine } = setup({ wait: 60_000 });
    const first = await holder(engine);
    const waiters = Array.from({ length: 5 }, () => engine.begin<string>(request));
    await first.abandon(new Error('the first attempt threw'));
    const answers = await Promise.all(
      waiters.map(async (waiting) => {
        const attempt = await waiting;
        if (attempt.status === 'running') await attempt.finish('ran by a waiter');
        return attempt.status;
      }),
    );
    expect(answers.filter((status) => status === 'running')).toHaveLength(1);
    expect(answers.filter((status) => status === 'replayed')).toHaveLength(4);
  });

  it('answers 409 at once past maxWaiters, and the waiters within the bound still replay', async () => {
    const { engine, counting, types } = setup({ wait: 60_000, maxWaiters: 3 });
    const first = await holder(engine);
    const waiters = Array.from({ length: 3 }, () => engine.begin<string>(request));
    await vi.waitFor(() => expect(counting.begins.length).toBeGreaterThanOrEqual(1 + 3), { timeout: 30_000 });
    await expect(engine.begin(request)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', status: 409 });
    expect(types()).toEqual(['conflict']);
    await first.finish('paid');
    await expect(Promise.all(waiters)).resolves.toEqual(Array(3).fill({ status: 'replayed', value: 'paid' }));
  });

  it('answers 409 to every waiter whose wait ends while the holder still runs', async () => {
    const { engine, types } = setup({ wait: 50 });
    const first = await holder(engine);
    const waiters = Array.from({ length: 4 }, () => engine.begin<string>(request));
    for (const waiting of waiters)
      await expect(waiting).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', status: 409 });
    expect(types()).toEqual(Array(4).fill('conflict'));
    await first.finish('paid');
  });

  it('refuses a maxWaiters that is not a whole number ≥ 1 when the engine is created', () => {
    expect(() => setup({ wait: 100, maxWaiters: 0 })).toThrow(/concurrent\.maxWaiters/);
  });
});
