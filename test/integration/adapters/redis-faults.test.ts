/**
 * The server adapters under Redis faults, over real HTTP. The fault matrix: GraphQL Yoga, Apollo
 * Server 5 (standalone) and tRPC (httpLink), each with its Redis store behind its own
 * fault-injecting proxy (test/support/redis/fault-proxy.ts), the README's recommended ioredis options
 * and a short store timeout. A fault is aimed at the first request of a fresh key while the client
 * retries the same key until it gets an answer other than 409/503; the body counts its own runs.
 * Checked in every cell: the body runs at most once (twice for the throwing body, on purpose), every
 * successful answer is the one execution's result, the key is answered within lease + margin of the
 * first request being answered. A report table is printed at the end. Then the real client's side:
 * createIdempotentFetch retrying against Yoga (the Yoga harness on a real socket) through each fault.
 * The matrix was the system tier's fault-matrix.test.ts (one process: it belongs here); the fetch
 * cells were envelop/redis-faults-fetch.test.ts, reproductions from the adversarial reviews of
 * November and December 2026.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createIdempotentFetch } from '../../../src/client/index.js';
import type { IdempotencyEvent } from '../../../src/core/events.js';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { ADAPTER_NAMES, RECOMMENDED, startAdapter, type Adapter, type AdapterKind } from './support/fault-adapters.js';
import { labelOf, runCell, violations, type FaultPlan, type Timing } from './support/fault-cell.js';
import { Ledger } from '../../support/adapters/ledger.js';
import { Report, runLength } from '../../support/adapters/report.js';
import { uniquePrefix } from '../../support/redis/client.js';
import { startFaultProxy, type Fault } from '../../support/redis/fault-proxy.js';
import { onClose, startYoga } from '../../support/servers/yoga.js';

/**
 * Short lease and store timeout. The lease outlasts a 700 ms outage by more than a heartbeat (lease / 3),
 * so completion retried through the outage lands before the lease could lapse; the blackhole is longer
 * than the store's timeout (the call fails, retries, then lands) and shorter than the lease.
 */
const TIMING: Timing = { lease: 1_500, timeout: 300, requestBound: 4_500, retryFor: 6_000, retryGap: 50, margin: 500 };
const BLACKHOLE_MS = 600;
const OUTAGE_MS = 700;

const PLANS: FaultPlan[] = [
  {
    id: 'Db',
    title: 'drop-reply on begin: Redis takes the key, the reply is lost and the connection closed',
    fault: { kind: 'drop-reply', transition: 'begin' },
    throws: false,
  },
  {
    id: 'Dc',
    title: 'drop-reply on complete: Redis stores the result, the reply is lost and the connection closed',
    fault: { kind: 'drop-reply', transition: 'complete' },
    throws: false,
  },
  {
    id: 'Hc',
    title: `blackhole ${BLACKHOLE_MS} ms on complete (store timeout ${TIMING.timeout} ms): the call fails, is retried, then everything lands`,
    fault: { kind: 'blackhole', transition: 'complete', ms: BLACKHOLE_MS },
    throws: false,
  },
  {
    id: 'Oc',
    title: `outage ${OUTAGE_MS} ms during completion: the body returns as Redis goes away`,
    fault: { kind: 'outage', ms: OUTAGE_MS },
    throws: false,
  },
  {
    id: 'Cr',
    title: 'close on release: the body throws, the connection closes before the release reaches Redis',
    fault: { kind: 'close', transition: 'release' },
    throws: true,
  },
];

// Apollo Server 5 needs graphql 16: on graphql 17 the plugin refuses to start, so its rows are left out.
const KINDS: AdapterKind[] = graphqlMajor === 16 ? ['yoga', 'apollo', 'trpc'] : ['yoga', 'trpc'];
/** The app's ioredis client options: the README's recommended ones, and ioredis' defaults (offline queue on, 20 retries per command). */
const CLIENTS: Record<string, RedisOptions> = { recommended: RECOMMENDED, 'ioredis defaults': {} };
const ROWS = KINDS.flatMap((kind) =>
  Object.entries(CLIENTS).map(([client, clientOptions]) => ({ kind, client, clientOptions, id: `${kind} ${client}` })),
);
/** The events worth a note: everything but the everyday ones. */
const EVERYDAY = new Set(['conflict', 'replayed', 'executed', 'released']);

const ledger = new Ledger();
const report = new Report(
  `Adapter × fault matrix (lease ${TIMING.lease} ms, store timeout ${TIMING.timeout} ms): body executions per cell, as the body counted them (* on purpose), ✓ passed / ✗ failed`,
  'adapter',
);
report.notes.push(
  'What the callers saw: the first request | the retries of the same key, in order | two confirmations once the retries ended.',
  'ok / replayed: the result (first run / marked replayed); 409 / 503: refused, retried; error: the body threw. "answered … after the first": how long the',
  `key stayed locked once the first request was answered (bound: lease + ${TIMING.margin} ms). "fired": the proxy's faults, numbered per proxy and transition.`,
);
const adapters = new Map<string, Adapter>();
/** Events of the cell running now. */
let events: IdempotencyEvent[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  const { hostname, port } = new URL(inject('redisUrl'));
  const target = { host: hostname, port: Number(port || 6379) };
  const onEvent = (event: IdempotencyEvent) => events.push(event);
  for (const { id, kind, client, clientOptions } of ROWS) {
    adapters.set(
      id,
      await startAdapter(kind, {
        ledger,
        target,
        lease: TIMING.lease,
        timeout: TIMING.timeout,
        clientOptions,
        label: client,
        onEvent,
      }),
    );
  }
  process.on('unhandledRejection', onUnhandled);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  console.log(report.format());
  await Promise.all([...adapters.values()].map((adapter) => adapter.close()));
});

describe('adapter × fault matrix', () => {
  for (const { id, kind, client } of ROWS) {
    describe(`${ADAPTER_NAMES[kind]}, ${client}`, () => {
      for (const plan of PLANS) {
        it(`${plan.id}: ${plan.title}`, async () => {
          const adapter = adapters.get(id)!;
          const cell = report.open(adapter.name, plan.id, plan.title);
          const before = unhandled.length;
          events = [];
          const key = `adapter-faults-${kind}-${plan.id}-${randomUUID().slice(0, 8)}`;
          try {
            const result = await runCell(adapter, ledger, TIMING, plan, key);
            const found = [
              ...violations(result, TIMING, plan, key),
              ...unhandled.slice(before).map((reason) => `unhandled rejection: ${String(reason)}`),
            ];
            const threw = result.runs - result.returned.length;
            cell.executions(result.runs, plan.throws ? `${threw} threw, on purpose` : undefined);
            cell.seen = [
              `${labelOf(result.first.answer)} | ${runLength(result.retries.map(({ answer }) => labelOf(answer)))} | ${runLength(result.confirmations.map(({ answer }) => labelOf(answer)))}`,
            ];
            cell.notes = [
              result.final
                ? `answered ${result.final.settledAt - result.first.settledAt} ms after the first`
                : 'never answered',
              `fired: ${result.fired.join(', ') || 'nothing'}`,
              `events: ${runLength(events.filter(({ type }) => !EVERYDAY.has(type)).map(({ type }) => type))}`,
            ];
            cell.problems = found;
            expect(found).toEqual([]);
            cell.verdict = 'pass';
          } catch (error) {
            cell.verdict = 'FAIL';
            throw error;
          }
        });
      }
    });
  }
});

/** Yoga (the harness, on a real socket) with its Redis store behind a fault proxy of its own; `pay` retries with createIdempotentFetch. */
async function setupFetch() {
  const target = new URL(inject('redisUrl'));
  const proxy = await startFaultProxy({ target: { host: target.hostname, port: Number(target.port) } });
  const redis = new Redis(proxy.url, { ...RECOMMENDED });
  redis.on('error', () => undefined); // the app's own client: its connection errors are the faults injected
  onClose(async () => {
    redis.disconnect();
    await proxy.close();
  });
  let runs = 0;
  const { url } = await startYoga({
    transport: 'http',
    typeDefs: 'type Query { ok: Boolean } type Payment { id: ID! } type Mutation { pay(amount: Int!): Payment! }',
    resolvers: { Mutation: { pay: async () => ({ id: `p${++runs}` }) } },
    idempotency: {
      store: createRedisStore({ redis, prefix: uniquePrefix('fetch-faults'), timeout: 300 }),
      lease: 3_000,
    },
  });
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

const FETCH_FAULTS: [string, Fault][] = [
  ['drop-reply begin', { transition: 'begin', kind: 'drop-reply' }],
  ['blackhole begin 800ms (> store timeout)', { transition: 'begin', kind: 'blackhole', ms: 800 }],
  ['close before begin', { transition: 'begin', kind: 'close' }],
  ['drop-reply complete', { transition: 'complete', kind: 'drop-reply' }],
  ['blackhole complete 800ms', { transition: 'complete', kind: 'blackhole', ms: 800 }],
  ['close before complete', { transition: 'complete', kind: 'close' }],
  ['outage 700ms', { kind: 'outage', ms: 700 }],
];

describe('createIdempotentFetch retries through Redis faults (Yoga, fault proxy)', () => {
  for (const [name, fault] of FETCH_FAULTS) {
    it(`F ${name}: the body runs once, the caller ends with the one payment, a later repeat replays it`, async () => {
      const s = await setupFetch();
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
