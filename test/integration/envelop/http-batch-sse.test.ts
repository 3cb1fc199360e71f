/**
 * Yoga over HTTP beyond a single JSON POST: batches mixing keyed and unkeyed mutations
 * (and queries), SSE racing a JSON POST on one key, multipart (incremental delivery) responses,
 * and queries carrying a key. Real HTTP, real Redis.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { as, post, startYoga } from '../../support/servers/yoga.js';

const typeDefs = /* GraphQL */ `
  type Query {
    ping(idempotencyKey: String): Int!
  }
  type Payment {
    id: ID!
    amount: Int!
  }
  type Mutation {
    pay(amount: Int!, idempotencyKey: String): Payment!
  }
`;

function app(bodyMs = 0) {
  const runs = { pay: 0, ping: 0 };
  const resolvers = {
    Query: { ping: () => ++runs.ping },
    Mutation: {
      pay: async (_: unknown, { amount }: { amount: number }) => {
        const n = ++runs.pay;
        await sleep(bodyMs);
        return { id: `p${n}`, amount };
      },
    },
  };
  return { runs, resolvers };
}

describe('Yoga batching: keyed and unkeyed mutations in one batch', () => {
  it('a keyed (argument) and an unkeyed pay in one batch both run without errors; the batch resent: the keyed one replays, the unkeyed one runs again', async () => {
    const { runs, resolvers } = app(50);
    const server = await startYoga({ typeDefs, resolvers, yoga: { batching: true }, label: 'r5-batch-mix' });
    const batch = [
      { query: 'mutation { pay(amount: 1, idempotencyKey: "h1") { id amount } }' },
      { query: 'mutation { pay(amount: 2) { id amount } }' },
      { query: '{ ping }' },
    ];
    const first = await post(server, batch, as('alice'));
    expect(first.json.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
    expect(runs.pay).toBe(2);
    const again = await post(server, batch, as('alice'));
    expect(again.json.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
    expect(again.json[0]).toEqual({ ...first.json[0], extensions: { idempotency: { replayed: true } } });
    expect((again.json[1]?.data?.pay as { amount: number }).amount).toBe(2);
    expect(runs.pay).toBe(3);
  });

  it('two pays with their own argument keys in one batch: each runs once and gets its own result; resent, each replays its own', async () => {
    const { runs, resolvers } = app(50);
    const server = await startYoga({ typeDefs, resolvers, yoga: { batching: true }, label: 'r5-batch-two' });
    const batch = [
      { query: 'mutation ($k: String) { pay(amount: 1, idempotencyKey: $k) { id amount } }', variables: { k: 'h2-a' } },
      { query: 'mutation ($k: String) { pay(amount: 2, idempotencyKey: $k) { id amount } }', variables: { k: 'h2-b' } },
    ];
    const first = await post(server, batch, as('alice'));
    const again = await post(server, [...batch].reverse(), as('alice'));
    expect(first.json.map((r) => (r.data?.pay as { amount: number }).amount)).toEqual([1, 2]);
    expect(again.json.map((r) => r.data)).toEqual([first.json[1]?.data, first.json[0]?.data]);
    expect(runs.pay).toBe(2);
  });

  it('a batch under a header key holding a query and a mutation: the query runs unkeyed every time, the mutation is refused (a batch is never keyed by one header), nothing runs', async () => {
    const { runs, resolvers } = app();
    const server = await startYoga({ typeDefs, resolvers, yoga: { batching: true }, label: 'r5-batch-query' });
    const batch = [{ query: '{ ping(idempotencyKey: "h3") }' }, { query: 'mutation { pay(amount: 3) { id amount } }' }];
    const first = await post(server, batch, as('alice', '"h3"'));
    const again = await post(server, batch, as('alice', '"h3"'));
    expect(first.json[0]?.data).toEqual({ ping: 1 });
    expect(again.json[0]?.data).toEqual({ ping: 2 });
    expect([first, again].map((sent) => sent.json[1]?.errors?.[0]?.extensions?.code)).toEqual([
      'IDEMPOTENCY_KEY_INVALID',
      'IDEMPOTENCY_KEY_INVALID',
    ]);
    expect(runs.pay).toBe(0);
  });
});

describe('SSE and multipart responses', () => {
  const sse = (url: string, key: string, amount = 4) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...as('alice', key) },
      body: JSON.stringify({ query: `mutation { pay(amount: ${amount}) { id amount } }` }),
    }).then((r) => r.text());

  it('an SSE request and a JSON POST racing one key: one run; afterwards SSE replays the very payment the JSON caller got (or vice versa)', async () => {
    const { runs, resolvers } = app(300);
    const server = await startYoga({ typeDefs, resolvers, label: 'r5-sse-race', transport: 'http' });
    const [sseText, json] = await Promise.all([
      sse(server.url, '"h4"'),
      post(server, { query: 'mutation { pay(amount: 4) { id amount } }' }, as('alice', '"h4"')),
    ]);
    expect(runs.pay).toBe(1);
    const winnerId = sseText.includes('"p1"') ? 'sse' : 'json';
    if (winnerId === 'sse') expect(json.status).toBe(409);
    else expect(sseText).toContain('IDEMPOTENCY_CONCURRENT_REQUEST');
    const replaySse = await sse(server.url, '"h4"');
    expect(replaySse).toContain('"p1"');
    expect(replaySse).toContain('"replayed":true');
    expect(await sse(server.url, '"h4"', 40)).toContain('IDEMPOTENCY_KEY_PARAMETER_MISMATCH');
    expect(runs.pay).toBe(1);
  });

  it('Accept: multipart/mixed (incremental delivery) for a keyed mutation: one run, replayed, another input under the key refused', async () => {
    const { runs, resolvers } = app();
    const server = await startYoga({ typeDefs, resolvers, label: 'r5-multipart', transport: 'http' });
    const send = (amount: number) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed', ...as('alice', '"h5"') },
        body: JSON.stringify({ query: `mutation { pay(amount: ${amount}) { id amount } }` }),
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const first = await send(5);
    const again = await send(5);
    const other = await send(50);
    expect(first.text).toContain('"p1"');
    expect(again.text).toContain('"p1"');
    expect(again.text).toContain('"replayed":true');
    expect(other.text).toContain('IDEMPOTENCY_KEY_PARAMETER_MISMATCH');
    expect(other.text).not.toContain('"p1"');
    expect(runs.pay).toBe(1);
  });
});
