import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine, createMemoryStore, type IdempotencyEvent } from '../../../src/index.js';
import { RETURNED } from '../../../src/adapter-kit.js';

describe('engine.begin (an operation run between two transport hooks)', () => {
  const request = { scope: 'u', operation: 'pay', key: 'k', input: { amount: 1 } };

  /** An engine on a fresh memory store plus the event types it emitted. */
  function setup() {
    const events: IdempotencyEvent[] = [];
    const engine = createIdempotencyEngine({ store: createMemoryStore(), onEvent: (event) => events.push(event) });
    return { engine, types: () => events.map((event) => event.type) };
  }

  it('lets the first attempt run, stores what finish hands over for a body that returned, and replays it to the next', async () => {
    const { engine, types } = setup();
    const first = await engine.begin<{ at: Date }>(request);
    expect(first.status).toBe('running');
    if (first.status !== 'running') return;
    expect(first.context).toMatchObject({ key: 'k', fence: 1, takeover: false, previousFence: undefined });
    expect(typeof first.context.derive).toBe('function');
    await first.finish({ at: new Date(3) }, RETURNED);

    const second = await engine.begin<{ at: Date }>(request);
    expect(second).toEqual({ status: 'replayed', value: { at: new Date(3) } });
    expect(types()).toEqual(['executed', 'replayed']);
  });

  it('stores a coded client error handed to finish and replays it', async () => {
    const { engine } = setup();
    const first = await engine.begin<{ error: string }>(request);
    if (first.status !== 'running') throw new Error('expected to run');
    await first.finish({ error: 'card declined' }, { returned: false, coded: true, status: 422 });
    await expect(engine.begin<{ error: string }>(request)).resolves.toEqual({
      status: 'replayed',
      value: { error: 'card declined' },
    });
  });

  it.each([429, 503, 500])(
    'frees the key when finish reports a thrown %i, so the next attempt runs with a higher fence',
    async (status) => {
      const { engine, types } = setup();
      const first = await engine.begin<string>(request);
      if (first.status !== 'running') throw new Error('expected to run');
      await first.finish('try later', { returned: false, coded: true, status });

      const second = await engine.begin<string>(request);
      expect(second).toMatchObject({ status: 'running', context: { key: 'k', fence: 2, takeover: false } });
      if (second.status === 'running') await second.finish('done', RETURNED);
      expect(types()).toEqual(['released', 'executed']);
    },
  );

  it('frees the key when the attempt is abandoned, and abandon itself does not throw', async () => {
    const { engine, types } = setup();
    const first = await engine.begin<string>(request);
    if (first.status !== 'running') throw new Error('expected to run');
    await expect(first.abandon(new Error('the execution never started'))).resolves.toBeUndefined();

    const second = await engine.begin<string>(request);
    expect(second).toMatchObject({ status: 'running', context: { fence: 2 } });
    if (second.status === 'running') await second.finish('done', RETURNED);
    expect(types()).toEqual(['released', 'executed']);
  });

  it('honours shouldStore passed with the request', async () => {
    const { engine } = setup();
    const first = await engine.begin<{ ok: boolean }>({ ...request, shouldStore: (value) => value.ok });
    if (first.status !== 'running') throw new Error('expected to run');
    await first.finish({ ok: false }, RETURNED);
    await expect(engine.begin<{ ok: boolean }>(request)).resolves.toMatchObject({
      status: 'running',
      context: { fence: 2 },
    });
  });

  it('uses the codec passed with the request', async () => {
    const { engine } = setup();
    const codec = { stringify: (value: number) => `n:${value}`, parse: (text: string) => Number(text.slice(2)) * 10 };
    const first = await engine.begin<number>({ ...request, codec });
    if (first.status !== 'running') throw new Error('expected to run');
    await first.finish(4, RETURNED);
    await expect(engine.begin<number>({ ...request, codec })).resolves.toEqual({
      status: 'replayed',
      value: 40,
    });
  });

  it('rejects with the typed conflict while a running attempt is unfinished', async () => {
    const { engine } = setup();
    const first = await engine.begin<string>(request);
    await expect(engine.begin<string>(request)).rejects.toMatchObject({
      status: 409,
      code: 'IDEMPOTENCY_CONCURRENT_REQUEST',
    });
    if (first.status === 'running') await first.finish('done', RETURNED);
  });

  it('runs an unkeyed attempt without a record, every time', async () => {
    const { engine, types } = setup();
    for (let round = 0; round < 2; round++) {
      const attempt = await engine.begin<string>({ ...request, key: undefined });
      expect(attempt).toMatchObject({
        status: 'running',
        context: { key: undefined, fence: undefined, takeover: false },
      });
      if (attempt.status === 'running') await attempt.finish('done', RETURNED);
    }
    expect(types()).toEqual([]);
  });
});
