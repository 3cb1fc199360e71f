/**
 * A mutation whose output streams over httpBatchStreamLink (an async iterable, a promise inside the
 * output): the first caller gets it streamed, every repeat is refused, never replayed half or run again.
 */
import { createTRPCClient, httpBatchStreamLink } from '@trpc/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { redisStore } from '../../support/redis/client.js';
import { rejection } from '../../support/servers/trpc/client.js';
import { createTestRouter, type TestRouter } from '../../support/servers/trpc/router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

/** The test router on the standalone server, called over httpBatchStreamLink as alice under `key`. */
async function streaming(key: string) {
  const app = createTestRouter({ store: redisStore('trpc-stream') });
  const server = await startStandaloneServer(app.router);
  const client = createTRPCClient<TestRouter>({
    links: [
      httpBatchStreamLink({
        url: server.url,
        transformer: superjson,
        headers: { 'x-user': 'alice', 'idempotency-key': `"${key}"` },
      }),
    ],
  });
  return { app, client };
}

describe('idempotency() on a mutation that streams its output (an async iterable over httpBatchStreamLink)', () => {
  it('streams it to the first caller, and refuses every repeat rather than replaying an empty object or running again', async () => {
    const { app, client } = await streaming('stream-1');
    const received: number[] = [];
    for await (const value of await client.countdown.mutate()) received.push(value);
    const repeat = await rejection(client.countdown.mutate());

    expect(received).toEqual([3, 2, 1]);
    expect(app.probe.runs('countdown')).toBe(1);
    expect(repeat.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(repeat.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_RESULT_NOT_STORED' });
  });

  it("refuses every repeat of an output that holds a promise, rather than replaying it without the promise's value or running again", async () => {
    const { app, client } = await streaming('order-1');
    const first = await client.order.mutate();
    const receipt = await first.receipt;
    const repeat = await rejection(client.order.mutate());

    expect([first.orderId, receipt]).toEqual(['order-1', 'receipt-1']);
    expect(app.probe.runs('order')).toBe(1);
    expect(repeat.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(repeat.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_RESULT_NOT_STORED' });
  });
});
