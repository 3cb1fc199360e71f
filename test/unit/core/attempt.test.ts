import { describe, expect, it } from 'vitest';
import { beginAttempt } from '../../../src/core/attempt.js';
import { createIdempotencyEngine, createMemoryStore, RETURNED, type IdempotencyEvent } from '../../../src/index.js';

describe('beginAttempt (an operation run between two transport hooks)', () => {
  const request = { scope: 'u', operation: 'pay', key: 'k', input: { amount: 1 } };

  /** An engine on a fresh memory store plus the event types it emitted. */
  function setup() {
    const events: IdempotencyEvent[] = [];
    const engine = createIdempotencyEngine({ store: createMemoryStore(), onEvent: (event) => events.push(event) });
    return { engine, types: () => events.map((event) => event.type) };
  }

  it('lets the first attempt run, stores what finish hands over for a body that returned, and replays it to the next', async () => {
    const { engine, types } = setup();
    const first = await beginAttempt<{ at: Date }>(engine, request);
    expect(first.status).toBe('running');
    if (first.status !== 'running') return;
    expect(first.context).toMatchObject({ key: 'k', fence: 1, takeover: false, previousFence: undefined });
    expect(typeof first.context.derive).toBe('function');
    await first.finish({ at: new Date(3) }, RETURNED);

    const second = await beginAttempt<{ at: Date }>(engine, request);
    expect(second).toEqual({ status: 'replayed', value: { at: new Date(3) } });
    expect(types()).toEqual(['executed', 'replayed']);
  });

  it('stores a coded client error handed to finish and replays it', async () => {
    const { engine } = setup();
    const first = await beginAttempt<{ error: string }>(engine, request);
    if (first.status !== 'running') throw new Error('expected to run');
    await first.finish({ error: 'card declined' }, { returned: false, coded: true, status: 422 });
    await expect(beginAttempt<{ error: string }>(engine, request)).resolves.toEqual({
      status: 'replayed',
      value: { error: 'card declined' },
    });
  });

  it.each([429, 503, 500])(
    'frees the key when finish reports a thrown %i, so the next attempt runs with a higher fence',
    async (status) => {
      const { engine, types } = setup();
      const first = await beginAttempt<string>(engine, request);
      if (first.status !== 'running') throw new Error('expected to run');
      await first.finish('try later', { returned: false, coded: true, status });

      const second = await beginAttempt<string>(engine, request);
      expect(second).toMatchObject({ status: 'running', context: { key: 'k', fence: 2, takeover: false } });
      if (second.status === 'running') await second.finish('done', RETURNED);
      expect(types()).toEqual(['released', 'executed']);
    },
  );

  it('frees the key when the attempt is abandoned, and abandon itself does not throw', async () => {
    const { engine, types } = setup();
    const first = await beginAttempt<string>(engine, request);
    if (first.status !== 'running') throw new Error('expected to run');
    await expect(first.abandon(new Error('the execution never started'))).resolves.toBeUndefined();

    const second = await beginAttempt<string>(engine, request);
    expect(second).toMatchObject({ status: 'running', context: { fence: 2 } });
    if (second.status === 'running') await second.finish('done', RETURNED);
    expect(types()).toEqual(['released', 'executed']);
  });

  it('honours shouldStore passed with the request', async () => {
    const { engine } = setup();
    const first = await beginAttempt<{ ok: boolean }>(engine, { ...request, shouldStore: (value) => value.ok });
    if (first.status !== 'running') throw new Error('expected to run');
    await first.finish({ ok: false }, RETURNED);
    await expect(beginAttempt<{ ok: boolean }>(engine, request)).resolves.toMatchObject({
      status: 'running',
      context: { fence: 2 },
    });
  });

  it('uses the codec passed with the request', async () => {
    const { engine } = setup();
    const codec = { stringify: (value: number) => `n:${value}`, parse: (text: string) => Number(text.slice(2)) * 10 };
    const first = await beginAttempt<number>(engine, { ...request, codec });
    if (first.status !== 'running') throw new Error('expected to run');
    await first.finish(4, RETURNED);
    await expect(beginAttempt<number>(engine, { ...request, codec })).resolves.toEqual({
      status: 'replayed',
      value: 40,
    });
  });

  it('rejects with the typed conflict while a running attempt is unfinished', async () => {
    const { engine } = setup();
    const first = await beginAttempt<string>(engine, request);
    await expect(beginAttempt<string>(engine, request)).rejects.toMatchObject({
      status: 409,
      code: 'IDEMPOTENCY_CONCURRENT_REQUEST',
    });
    if (first.status === 'running') await first.finish('done', RETURNED);
  });

  it('runs an unkeyed attempt without a record, every time', async () => {
    const { engine, types } = setup();
    for (let round = 0; round < 2; round++) {
      const attempt = await beginAttempt<string>(engine, { ...request, key: undefined });
      expect(attempt).toMatchObject({
        status: 'running',
        context: { key: undefined, fence: undefined, takeover: false },
      });
      if (attempt.status === 'running') await attempt.finish('done', RETURNED);
    }
    expect(types()).toEqual([]);
  });
});
