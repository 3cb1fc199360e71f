import { describe, expect, it } from 'vitest';
import { beginAttempt } from '../../src/core/attempt.js';
import { createIdempotencyEngine, createMemoryStore } from '../../src/index.js';

describe('beginAttempt (an operation run between two transport hooks)', () => {
  const request = { scope: 'u', operation: 'pay', key: 'k', input: { amount: 1 } };

  it('lets the first attempt run, stores what finish hands over, and replays it to the next', async () => {
    const engine = createIdempotencyEngine({ store: createMemoryStore() });
    const first = await beginAttempt<{ at: Date }>(engine, request);
    expect(first.status).toBe('running');
    if (first.status !== 'running') return;
    expect(first.context).toEqual({ key: 'k', fence: 1 });
    await first.finish({ at: new Date(3) });

    const second = await beginAttempt<{ at: Date }>(engine, request);
    expect(second).toEqual({ status: 'replayed', value: { at: new Date(3) } });
  });

  it('frees the key when finish hands over null, so the next attempt runs with a higher fence', async () => {
    const engine = createIdempotencyEngine({ store: createMemoryStore() });
    const first = await beginAttempt<string>(engine, request);
    if (first.status !== 'running') throw new Error('expected to run');
    await first.finish(null);

    const second = await beginAttempt<string>(engine, request);
    expect(second).toMatchObject({ status: 'running', context: { key: 'k', fence: 2 } });
  });

  it('rejects with the typed conflict while a running attempt is unfinished', async () => {
    const engine = createIdempotencyEngine({ store: createMemoryStore() });
    const first = await beginAttempt<string>(engine, request);
    await expect(beginAttempt<string>(engine, request)).rejects.toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONCURRENT_REQUEST' });
    if (first.status === 'running') await first.finish('done');
  });
});
