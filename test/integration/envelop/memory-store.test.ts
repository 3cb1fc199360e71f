import { describe, expect, it } from 'vitest';
import { post, replayOf, startTestServer } from '../../support/servers/yoga.js';

describe('useIdempotency with its default store', () => {
  it('works with the embedded memory store and an explicitly shared scope', async () => {
    const server = await startTestServer({ transport: 'fetch', idempotency: { scope: false } });
    const query = 'mutation { createPayment(amount: 2) { id key fence } }';
    const first = await post(server, { query }, { 'idempotency-key': '"mem-1"', 'x-user': 'alice' });
    const second = await post(server, { query }, { 'idempotency-key': '"mem-1"', 'x-user': 'bob' });

    expect(server.runs.createPayment).toBe(1);
    expect(first.json.data).toEqual({ createPayment: { id: 'createPayment-1', key: 'mem-1', fence: 1 } });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.text).toBe(replayOf(first.text));
  });
});
