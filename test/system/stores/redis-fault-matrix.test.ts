import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFaultProxy,
  type FaultAction,
  type FaultProxy,
  type Outage,
  type Transition,
} from '../../support/redis/fault-proxy.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';
import { runCell, type CellPlan, type Timing } from './support/fault-cell.js';
import { violations } from './support/fault-invariants.js';
import { formatReport, type ReportRow } from './support/fault-report.js';

/**
 * Every store transition × every way a Redis round trip can fail, at the engine level, against a
 * real redis-server behind a fault-injecting proxy. Each cell checks the invariants: the body runs
 * at most once, no caller gets another caller's value, the key is free again within a lease of its
 * holder being done, nothing hangs. The report printed at the end shows every cell.
 */

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

let server: RedisServer;
let proxy: FaultProxy;
let direct: Redis;
const rows: ReportRow[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
  direct = new Redis(server.url, RECOMMENDED);
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  console.log(formatReport(rows));
  direct.disconnect();
  await proxy.close();
  await server.stop();
});

describe('fault matrix: transition × fault × client options', () => {
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
