/**
 * The core engine and the Redis store under real Redis faults — a stalled redis-server (CLIENT
 * PAUSE on a dedicated server), a TCP proxy that drops replies or cuts one connection, the store's
 * own per-call timeout firing while Redis still runs the script — and the fault matrix: every store
 * transition × every fault × client options, each cell checked against the invariants.
 * Every test asserts the README's promise; a red test is a violation.
 * Includes reproductions from the adversarial reviews of November and December 2026; the matrix was
 * the system tier's redis-fault-matrix.test.ts (one process: it belongs here).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/engine.js';
import { type IdempotencyEngine } from '../../../src/core/engine.js';
import type { IdempotencyOptions } from '../../../src/core/options.js';
import { IdempotencyStoreUnavailableError, isIdempotencyError } from '../../../src/core/errors.js';
import type { IdempotencyEvent } from '../../../src/core/events.js';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import {
  startFaultProxy,
  type FaultAction,
  type FaultProxy,
  type Outage,
  type Transition,
} from '../../support/redis/fault-proxy.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';
import { runCell, type CellPlan, type Timing } from './support/fault-cell.js';
import { violations } from './support/fault-invariants.js';
import { formatReport, type ReportRow } from './support/fault-report.js';

let server: RedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  server = await startRedisServer(); // our own: pausing it stalls nobody else's tests
});
afterAll(async () => {
  clients.forEach((client) => client.disconnect());
  await server.stop();
});

async function client(url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, ...options });
  redis.on('error', () => {}); // outages are on purpose
  clients.push(redis);
  if (redis.status !== 'ready') await new Promise((ready) => redis.once('ready', ready));
  return redis;
}

/** CLIENT PAUSE ALL for `ms`, sent on its own connection. */
let admin: Promise<Redis> | undefined;
async function pauseRedis(ms: number): Promise<void> {
  admin ??= client(server.url);
  await (await admin).call('CLIENT', 'PAUSE', String(ms), 'ALL');
}

function engineOn(redis: Redis, prefix: string, options: IdempotencyOptions & { timeout?: number } = {}) {
  const events: IdempotencyEvent[] = [];
  const { timeout, ...engineOptions } = options;
  const engine = createIdempotencyEngine({
    store: createRedisStore({ redis, prefix, ...(timeout !== undefined && { timeout }) }),
    onEvent: (event) => events.push(event),
    ...engineOptions,
  });
  return { engine, events };
}

const request = { scope: 'alice', operation: 'pay', key: 'k-1', input: { amount: 5 } };

async function settle<T>(promise: Promise<T>): Promise<T | Error> {
  try {
    return await promise;
  } catch (error) {
    return error as Error;
  }
}

describe('Redis stalls and timeouts', () => {
  /**
   * An engine on the Redis store whose first successful lease renewal resolves `renewed`: the
   * timing of B1 / B10 is taken from it, not from timers that drift under load.
   */
  function observedEngine(redis: Redis, prefix: string, lease: number) {
    const store = createRedisStore({ redis, prefix, timeout: 10_000 });
    let renewed!: () => void;
    const firstRenewal = new Promise<void>((resolve) => (renewed = resolve));
    const events: IdempotencyEvent[] = [];
    const engine = createIdempotencyEngine({
      store: {
        ...store,
        extend: async (r) => {
          const held = await store.extend(r);
          renewed();
          return held;
        },
      },
      lease,
      onEvent: (event) => events.push(event),
    });
    return { engine, events, firstRenewal };
  }

  // B1 / B10 asked for the impossible: while Redis is stalled nobody can renew, so a stall longer
  // than the lease left at that moment lets the retry queued first take over. docs/guarantees.md
  // states it ("Redis unreachable or stalled for longer than the lease left …"); these tests show
  // that it stays at-least-once and fenced: the takeover gets fence 2, the stale holder's
  // completion is refused, and every later repeat replays the takeover's result.

  it("a Redis stall longer than the lease left (shorter than the lease) while the body runs: the retry queued first takes over with fence 2, the stale holder's completion is refused", async () => {
    const prefix = uniquePrefix('rb-stall');
    const lease = 1_200; // renewed every 400 ms
    const holder = observedEngine(await client(server.url), prefix, lease);
    const other = engineOn(await client(server.url), prefix, { lease, timeout: 10_000 });
    const fences: { fence: number | undefined; takeover: boolean }[] = [];
    let second: Promise<unknown> | undefined;
    const first = holder.engine.execute({
      ...request,
      run: async ({ fence, takeover }) => {
        fences.push({ fence, takeover });
        await holder.firstRenewal; // lease now ends 1 200 ms from here; the next renewal is due in ~400 ms
        await sleep(250);
        await pauseRedis(1_100); // Redis stalls for 1.1 s: it ends ~1 350 ms after the renewal, past its lease (950 ms were left)
        // A retry, sent during the stall before the holder's next renewal: Redis runs it first.
        second = other.engine.execute({
          ...request,
          run: async ({ fence: f, takeover: t }) => (fences.push({ fence: f, takeover: t }), 'from-takeover'),
        });
        await sleep(1_500);
        return 'from-stale-holder';
      },
    });
    expect(await first).toEqual({ value: 'from-stale-holder', replayed: false }); // its caller still gets its value
    expect(await second).toEqual({ value: 'from-takeover', replayed: false });
    expect(fences).toEqual([
      { fence: 1, takeover: false },
      { fence: 2, takeover: true },
    ]);
    expect(holder.events.map((e) => e.type)).toContain('stale-completion');
    expect(holder.events.map((e) => e.type)).not.toContain('executed');
    expect(await other.engine.execute({ ...request, run: async () => 'third' })).toEqual({
      value: 'from-takeover',
      replayed: true,
    });
  });

  it('a Redis stall while the result is written, longer than the lease left (shorter than completionRetry and the lease): the retry queued first takes over with fence 2, the stale completion is refused', async () => {
    const prefix = uniquePrefix('rb-complete-stall');
    const lease = 1_200; // renewed every 400 ms; completionRetry defaults to the lease
    const holder = observedEngine(await client(server.url), prefix, lease);
    const retrying = engineOn(await client(server.url), prefix, { lease, timeout: 10_000 });
    const fences: { fence: number | undefined; takeover: boolean }[] = [];
    let retried: Promise<unknown> | undefined;
    const first = await holder.engine.execute({
      ...request,
      run: async ({ fence, takeover }) => {
        fences.push({ fence, takeover });
        await holder.firstRenewal;
        await sleep(250);
        await pauseRedis(1_100); // Redis stalls for 1.1 s: 950 ms of the lease were left
        // The client's retry, sent during the stall: queued before the holder's complete.
        retried = retrying.engine.execute({
          ...request,
          run: async ({ fence: f, takeover: t }) => (fences.push({ fence: f, takeover: t }), 'from-takeover'),
        });
        await sleep(30);
        return 'from-stale-holder'; // the body returns: its complete is sent during the stall
      },
    });
    expect(first).toEqual({ value: 'from-stale-holder', replayed: false }); // its caller still gets its value
    expect(await retried).toEqual({ value: 'from-takeover', replayed: false });
    expect(fences).toEqual([
      { fence: 1, takeover: false },
      { fence: 2, takeover: true },
    ]);
    expect(holder.events.map((e) => e.type)).toContain('stale-completion');
    expect(holder.events.map((e) => e.type)).not.toContain('executed');
    expect(retrying.events.map((e) => e.type)).toEqual(['takeover', 'executed']);
    expect(await retrying.engine.execute({ ...request, run: async () => 'third' })).toEqual({
      value: 'from-takeover',
      replayed: true,
    });
  });

  it('a begin that times out in the store (Redis paused) while Redis still runs it later: 503, nothing runs, and the key is free afterwards', async () => {
    const prefix = uniquePrefix('rb-begin-timeout');
    const redis = await client(server.url);
    const { engine } = engineOn(redis, prefix, { lease: 3_000, timeout: 200 });
    let runs = 0;
    const run = async () => ++runs;
    await pauseRedis(600);
    const refused = await settle(engine.execute({ ...request, run }));
    expect(refused).toBeInstanceOf(IdempotencyStoreUnavailableError);
    await sleep(700); // Redis resumes and runs the late begin, then the queued release
    const retry = await engine.execute({ ...request, run });
    const again = await engine.execute({ ...request, run });
    expect([retry, again]).toEqual([
      { value: 1, replayed: false },
      { value: 1, replayed: true },
    ]);
    expect(runs).toBe(1);
  });

  it('a complete that times out while Redis still runs it (Redis paused during completion): stored once, replayed, run once', async () => {
    const prefix = uniquePrefix('rb-complete-timeout');
    const { engine, events } = engineOn(await client(server.url), prefix, { lease: 3_000, timeout: 200 });
    let runs = 0;
    const first = await engine.execute({
      ...request,
      run: async () => {
        await pauseRedis(800);
        return ++runs;
      },
    });
    const again = await engine.execute({ ...request, run: async () => ++runs });
    expect(first).toEqual({ value: 1, replayed: false });
    expect(again).toEqual({ value: 1, replayed: true });
    expect(runs).toBe(1);
    expect(events.filter((e) => e.type === 'executed')).toHaveLength(1);
  });
});

describe('dropped replies and cut connections (fault proxy)', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('fail-open + concurrent wait: a waiter that saw the record RUNNING must not run the body when a later poll hits a store blip', async () => {
    const prefix = uniquePrefix('rb-open-wait');
    const options = { lease: 1_000, failMode: 'open' as const, concurrent: { wait: 3_000 } };
    const holder = engineOn(await client(server.url), prefix, options);
    const waiter = engineOn(await client(proxy.url, { enableOfflineQueue: false }), prefix, options);
    let runs = 0;
    const body = async () => {
      runs++;
      await sleep(1_200);
      return 'paid';
    };
    const first = holder.engine.execute({ ...request, run: body });
    await sleep(100);
    const second = settle(waiter.engine.execute({ ...request, run: body }));
    await sleep(150); // the waiter has been told "running" and polls
    void proxy.inject({ kind: 'outage', ms: 300 });
    await Promise.all([first, second]);
    expect(runs).toBe(1);
    const answer = await second; // 503 if a poll hit the outage, else the holder's result replayed: never a run beside the holder
    expect(
      answer instanceof IdempotencyStoreUnavailableError || (answer as { replayed?: boolean }).replayed === true,
    ).toBe(true);
  });

  it('a begin whose reply is lost (recommended client options): the body runs once and the key is never 409 for longer than one lease', async () => {
    const prefix = uniquePrefix('rb-begin-drop');
    const lease = 1_500;
    const redis = await client(proxy.url, { enableOfflineQueue: false });
    const { engine } = engineOn(redis, prefix, { lease, timeout: 500 });
    let runs = 0;
    const run = async () => ++runs;
    const dropped = proxy.inject({ kind: 'drop-reply', transition: 'begin' });
    const started = Date.now();
    const first = await settle(engine.execute({ ...request, run }));
    await dropped;
    let lastConflict = started;
    let answer: unknown = first;
    while (!(answer && typeof answer === 'object' && 'value' in answer)) {
      await sleep(50);
      if (redis.status !== 'ready') continue;
      answer = await settle(engine.execute({ ...request, run }));
      if (isIdempotencyError(answer) && answer.code === 'IDEMPOTENCY_CONCURRENT_REQUEST') lastConflict = Date.now();
      if (Date.now() - started > 3 * lease) break;
    }
    expect(proxy.stats.fired.at(-1)).toMatch(/^drop-reply begin/);
    expect(answer).toMatchObject({ value: 1 });
    expect(runs).toBe(1);
    expect(lastConflict - started).toBeLessThanOrEqual(lease + 300);
  });

  it("a holder cut off past its lease: the newer attempt's result is never overwritten by the stale completion, and the record is not stuck", async () => {
    const prefix = uniquePrefix('rb-stale');
    const lease = 600;
    const stale = engineOn(await client(proxy.url), prefix, { lease });
    const fresh = engineOn(await client(server.url), prefix, { lease });
    const held = proxy.inject({ kind: 'blackhole', transition: 'complete', ms: 1_500 });
    const slow = stale.engine.execute({ ...request, run: async () => 'from-stale-holder' });
    await sleep(900); // the stale holder's lease lapsed while its complete is held
    const takeover = await fresh.engine.execute({
      ...request,
      run: async ({ takeover: t }) => `from-takeover-${String(t)}`,
    });
    await held;
    expect(await slow).toEqual({ value: 'from-stale-holder', replayed: false });
    expect(takeover).toEqual({ value: 'from-takeover-true', replayed: false });
    const replay = await fresh.engine.execute({ ...request, run: async () => 'third' });
    expect(replay).toEqual({ value: 'from-takeover-true', replayed: true });
    expect(stale.events.map((e) => e.type)).toContain('stale-completion');
  });

  it('a release re-sent by ioredis after its reply was lost never frees the record of the attempt that acquired it since', async () => {
    const prefix = uniquePrefix('rb-release-resend');
    const lease = 2_000;
    const a = engineOn(await client(proxy.url), prefix, { lease });
    const b = engineOn(await client(server.url), prefix, { lease });
    const dropped = proxy.inject({ kind: 'drop-reply', transition: 'release' });
    const aResult = settle(a.engine.execute({ ...request, run: async () => Promise.reject(new Error('transient')) }));
    await dropped; // Redis ran the release (record free), the reply was lost, ioredis will re-send it
    let bRuns = 0;
    let releaseB!: () => void;
    const gate = new Promise<void>((resolve) => (releaseB = resolve));
    const bResult = b.engine.execute({
      ...request,
      run: async () => {
        bRuns++;
        await gate; // B holds the record while A's release is re-sent
        return 'b';
      },
    });
    await aResult;
    const third = await settle(b.engine.execute({ ...request, run: async () => 'c' }));
    releaseB();
    expect(await bResult).toEqual({ value: 'b', replayed: false });
    expect(isIdempotencyError(third) && third.code).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    expect(await b.engine.execute({ ...request, run: async () => 'd' })).toEqual({ value: 'b', replayed: true });
    expect(bRuns).toBe(1);
    expect(proxy.stats.fired.at(-1)).toMatch(/^drop-reply release/);
    expect(a.events.map((e) => e.type)).toContain('stale-completion'); // A's re-sent release was answered 0: B's record was untouched
  });
});

describe('engine on the shared redis-server', () => {
  it('concurrent: { wait } with a body three times longer than the lease: the heartbeat keeps it, 20 waiters on 4 connections replay, one run', async () => {
    const prefix = uniquePrefix('rb-wait-long');
    const engines: IdempotencyEngine[] = [];
    for (let i = 0; i < 4; i++)
      engines.push(engineOn(connectRedis(), prefix, { lease: 300, concurrent: { wait: 3_000 } }).engine);
    let runs = 0;
    const run = async () => {
      runs++;
      await sleep(1_000);
      return { paid: runs };
    };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => engines[i % 4]!.execute({ ...request, run })),
    );
    expect(runs).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.value))).size).toBe(1);
  });

  it('scope null (scope: false) and a user called "null", and ("a:b","c") vs ("a","b:c"): four records', async () => {
    const { engine } = engineOn(connectRedis(), uniquePrefix('rb-ids'), {});
    const results = await Promise.all([
      engine.execute({ scope: null, operation: 'op', key: 'k', input: 1, run: async () => 'anonymous' }),
      engine.execute({ scope: 'null', operation: 'op', key: 'k', input: 1, run: async () => 'user-null' }),
      engine.execute({ scope: 'a:b', operation: 'c', key: 'k', input: 1, run: async () => 'ab-c' }),
      engine.execute({ scope: 'a', operation: 'b:c', key: 'k', input: 1, run: async () => 'a-bc' }),
    ]);
    expect(results.map((r) => [r.value, r.replayed])).toEqual([
      ['anonymous', false],
      ['user-null', false],
      ['ab-c', false],
      ['a-bc', false],
    ]);
  });
});

describe('fencing after a lapse', () => {
  it('ttl = lease with maxRunTime = lease (the record expired with its last lease, so the fence started over at 1) is refused at construction', () => {
    expect(() =>
      createIdempotencyEngine({ store: createMemoryStore(), lease: 600, ttl: 600, maxRunTime: 600 }),
    ).toThrow(/"ttl" must be at least "maxRunTime" \+ "lease"/);
  });

  for (const storeName of ['redis', 'memory'] as const) {
    it(`on the ${storeName} store, a holder past maxRunTime with a ttl above maxRunTime + lease: the retry that takes over gets fence + 1 and takeover: true`, async () => {
      const lease = 600;
      const store =
        storeName === 'redis'
          ? createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('rb-fence') })
          : createMemoryStore();
      // The record outlives the last lease (ttl ≥ maxRunTime + lease); the retry below comes before the ttl ends.
      const engine = createIdempotencyEngine({ store, lease, ttl: 3 * lease, maxRunTime: lease });
      const contexts: { fence: number | undefined; takeover: boolean }[] = [];
      const first = engine.execute({
        ...request,
        run: async ({ fence, takeover }) => {
          contexts.push({ fence, takeover });
          await sleep(2_000); // never finishes in time: the heartbeat stops at maxRunTime
          return 'first';
        },
      });
      await sleep(1_300); // the lease has lapsed
      const second = await engine.execute({
        ...request,
        run: async ({ fence, takeover }) => (contexts.push({ fence, takeover }), 'second'),
      });
      await first;
      expect(second.value).toBe('second');
      // README: "a mutation that never finishes … a retry may take the record over … fenced, as after a crash":
      // "The retry that takes over gets fence + 1, takeover: true, previousFence".
      expect(contexts).toEqual([
        { fence: 1, takeover: false },
        { fence: 2, takeover: true },
      ]);
    });
  }
});

/**
 * The lease is long enough for the 700 ms outage to end before two heartbeats (lease / 3) in a row
 * are missed: the engine can hold a lease through a blip of up to about 2/3 of it. With a 1 s lease
 * the outage cell depends on whether Redis is back before the next completion retry.
 */
const TIMING: Timing = { lease: 1_500, timeout: 400, requestBound: 4_500, retryFor: 6_000, retryGap: 50 };
/** Shorter than the store's timeout: the call is only late. */
const SHORT_BLACKHOLE_MS = 150;
/** Longer than the store's timeout (the call fails, then lands), and over before the lease ends even when it holds a heartbeat. */
const LONG_BLACKHOLE_MS = 600;

/** The README's recommended client options. */
const RECOMMENDED: RedisOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false };
const CLIENTS: Record<string, RedisOptions> = { 'ioredis defaults': {}, recommended: RECOMMENDED };
const FAULTS: Record<string, FaultAction> = {
  'drop-reply': { kind: 'drop-reply' },
  [`blackhole ${SHORT_BLACKHOLE_MS}ms`]: { kind: 'blackhole', ms: SHORT_BLACKHOLE_MS },
  [`blackhole ${LONG_BLACKHOLE_MS}ms`]: { kind: 'blackhole', ms: LONG_BLACKHOLE_MS },
  close: { kind: 'close' },
};
const TRANSITIONS: Transition[] = ['begin', 'extend', 'complete', 'release'];
const OUTAGE: Outage = { kind: 'outage', ms: 700 };

interface Cell {
  transition: Transition;
  fault: string;
  client: string;
  plan: CellPlan;
}

/** The first call's body: an extend needs a body longer than a heartbeat (lease / 3); a release needs one that throws. */
const bodyFor = (transition: Transition) => ({
  runMs: transition === 'extend' ? TIMING.lease / 2 : 10,
  throws: transition === 'release',
});

const cells: Cell[] = [
  ...TRANSITIONS.flatMap((transition) =>
    Object.entries(FAULTS).flatMap(([fault, spec]) =>
      Object.entries(CLIENTS).map(([client, clientOptions]) => ({
        transition,
        fault,
        client,
        plan: { fault: { ...spec, transition }, clientOptions, ...bodyFor(transition) },
      })),
    ),
  ),
  ...Object.entries(CLIENTS).map(([client, clientOptions]) => ({
    transition: 'complete' as const,
    fault: `outage ${OUTAGE.ms}ms`,
    client,
    plan: { fault: OUTAGE, clientOptions, ...bodyFor('complete') },
  })),
];

/**
 * Every store transition × every way a Redis round trip can fail, at the engine level, against the
 * file's redis-server behind a fault-injecting proxy of its own. Each cell checks the invariants:
 * the body runs at most once, no caller gets another caller's value, the key is free again within a
 * lease of its holder being done, nothing hangs. The report printed at the end shows every cell.
 */
describe('fault matrix: transition × fault × client options', () => {
  let proxy: FaultProxy;
  let direct: Redis;
  const rows: ReportRow[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
    direct = new Redis(server.url, RECOMMENDED);
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    console.log(formatReport(rows));
    direct.disconnect();
    await proxy.close();
  });

  it.each(cells)('$transition × $fault × $client', async ({ transition, fault, client, plan }) => {
    const before = unhandled.length;
    const result = await runCell(proxy, direct, TIMING, plan);
    const found = [
      ...violations(result, TIMING),
      ...unhandled.slice(before).map((reason) => `unhandled rejection: ${String(reason)}`),
    ];
    rows.push({ transition, fault, client, result, violations: found });
    expect(found).toEqual([]);
  });
});
