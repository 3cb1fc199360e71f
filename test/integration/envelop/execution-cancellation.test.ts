/**
 * Attack: Yoga's `useExecutionCancellation()` with a client that gives up (timeout / abort) while
 * the mutation runs: exactly the situation the library exists for — the client then retries with
 * the same key. The body ran and returned; its retry must get the stored result.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { useExecutionCancellation } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { payResolvers, payTypeDefs } from '../../support/servers/payments.js';
import { as, codes, post, startYoga } from '../../support/servers/yoga.js';

describe('client aborts a keyed mutation under useExecutionCancellation()', () => {
  it('the body runs once, and the retry after the abort is answered with its stored result', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { runs, resolvers } = payResolvers({ before: () => gate }); // the payment provider is slow
    const server = await startYoga({
      transport: 'http',
      label: 'cancel',
      plugins: [useExecutionCancellation()],
      typeDefs: payTypeDefs,
      resolvers,
    });
    const query = 'mutation { pay(amount: 42) { id amount } }';
    const controller = new AbortController();
    const first = fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...as('alice', '"cancelled"') },
      body: JSON.stringify({ query }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await expect.poll(() => runs.pay).toBe(1);
    controller.abort(); // the client times out
    await first;
    release(); // the provider answers: the payment was made
    await sleep(300);

    const retry = await post(server, { query }, as('alice', '"cancelled"'));
    expect(runs.pay).toBe(1);
    expect(codes(retry.json)).toBeUndefined();
    expect(retry.json.data).toEqual({ pay: { id: 'p1', amount: 42 } });
  });
});
