/**
 * Redis faults through the fault-injecting proxy while a real client retries with
 * createIdempotentFetch against Yoga over real HTTP. Recommended ioredis options, short store timeout.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createSchema, createYoga } from 'graphql-yoga';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createIdempotentFetch } from '../../../src/client/index.js';
import { useIdempotency } from '../../../src/envelop/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { startFaultProxy, type Fault } from '../../support/redis/fault-proxy.js';
import { uniquePrefix } from '../../support/redis/client.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const target = new URL(inject('redisUrl'));
  const proxy = await startFaultProxy({ target: { host: target.hostname, port: Number(target.port) } });
  const redis = new Redis(proxy.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => undefined); // the app's own client: its connection errors are the faults injected
  let runs = 0;
  const yoga = createYoga<{ user?: string }>({
    logging: false,
    schema: createSchema({
      typeDefs: 'type Query { ok: Boolean } type Payment { id: ID! } type Mutation { pay(amount: Int!): Payment! }',
      resolvers: { Mutation: { pay: async () => ({ id: `p${++runs}` }) } },
    }),
    context: ({ request }: { request: Request }) => ({ user: request.headers.get('x-user') ?? undefined }),
    plugins: [
      useIdempotency<{ user?: string }>({
        store: createRedisStore({ redis, prefix: uniquePrefix('r5-faults'), timeout: 300 }),
        scope: (c) => c.user,
        lease: 3_000,
      }),
    ],
  });
  const server = createServer(yoga);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    redis.disconnect();
    await proxy.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const fetchFn = createIdempotentFetch({ retries: 8, baseDelay: 100, maxDelay: 400 });
  const pay = (key: string) =>
    fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': key },
      body: JSON.stringify({ query: 'mutation { pay(amount: 1) { id } }' }),
    }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { data?: { pay: { id: string } }; extensions?: unknown },
    }));
  await redis.ping().catch(() => undefined);
  return { proxy, pay, runs: () => runs };
}

const faults: [string, Fault][] = [
  ['drop-reply begin', { transition: 'begin', kind: 'drop-reply' }],
  ['blackhole begin 800ms (> store timeout)', { transition: 'begin', kind: 'blackhole', ms: 800 }],
  ['close before begin', { transition: 'begin', kind: 'close' }],
  ['drop-reply complete', { transition: 'complete', kind: 'drop-reply' }],
  ['blackhole complete 800ms', { transition: 'complete', kind: 'blackhole', ms: 800 }],
  ['close before complete', { transition: 'complete', kind: 'close' }],
  ['outage 700ms', { kind: 'outage', ms: 700 }],
];

describe('createIdempotentFetch retries through Redis faults (Yoga, fault proxy)', () => {
  for (const [name, fault] of faults) {
    it(`F ${name}: the body runs once, the caller ends with the one payment, a later repeat replays it`, async () => {
      const s = await setup();
      const key = `"f-${name.replace(/\W+/g, '-')}"`;
      void s.proxy.inject(fault);
      const first = await s.pay(key);
      let final = first;
      for (let i = 0; i < 20 && final.status !== 200; i++) {
        await sleep(250);
        final = await s.pay(key);
      }
      expect(final.status).toBe(200);
      await sleep(200);
      const replay = await s.pay(key);
      expect(replay.status).toBe(200);
      expect(replay.body.data).toEqual(final.body.data);
      expect(s.runs()).toBe(1);
    });
  }
});
