/**
 * HTTP overhead on loopback with a real Redis: a keyed mutation (one Redis write) on GraphQL Yoga,
 * tRPC and Express, with idempotency vs. the same server without it. Each server runs in its own
 * child process, autocannon in this one; the variants of a framework alternate round by round.
 * First executions (a unique key per request) and replays (a pool of completed keys) are
 * reported separately.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { load, sendOnce, startServerProcess, type LoadResult, type ServerProcess } from './http/load.js';
import type { Framework, Variant } from './http/servers.js';
import { median } from './support/measure.js';
import { countCommands, type BenchRedis } from './support/redis.js';
import { againstGoal, count, markdownTable, ratio, type Finding, type Section } from './support/report.js';

const SECONDS = 2.5;
const WARM_UP_SECONDS = 1;
const ROUNDS = 4;
const CONNECTIONS = 10;
const REPLAY_KEYS = 500;

type Mode = 'first execution' | 'replay';
const MODES: Mode[] = ['first execution', 'replay'];
const GOALS: Record<Mode, number> = { replay: 0.9, 'first execution': 0.85 };
const SETUPS: { framework: Framework; variants: Variant[] }[] = [
  { framework: 'yoga', variants: ['bare', 'plugin'] },
  { framework: 'trpc', variants: ['bare', 'plugin'] },
  { framework: 'express', variants: ['bare', 'plugin', 'peer'] },
];
const FRAMEWORK_NAME: Record<Framework, string> = { yoga: 'GraphQL Yoga', trpc: 'tRPC', express: 'Express' };
const VARIANT_NAME: Record<Variant, string> = { bare: 'without', plugin: 'this library', peer: 'express-idempotency' };

interface Comparison {
  framework: Framework;
  variant: Variant;
  /** The variant it is compared with: `bare`, or `peer` for this library vs. express-idempotency. */
  baseline: Variant;
  mode: Mode;
  measured: LoadResult;
  reference: LoadResult;
  /** Median over rounds of (variant ÷ baseline) req/s within the same round: pairs neighbouring runs against drift. */
  throughputRatio: number;
}

/** Redis commands one HTTP request costs (the mutation's own write left out), counted by MONITOR. */
interface RoundTrips {
  framework: Framework;
  variant: Variant;
  firstExecution: number;
  replay: number;
}

export async function httpOverhead(bench: BenchRedis): Promise<Section> {
  const comparisons: Comparison[] = [];
  const roundTrips: RoundTrips[] = [];
  for (const { framework, variants } of SETUPS) {
    const servers = {} as Record<Variant, ServerProcess>;
    try {
      for (const variant of variants) servers[variant] = await startServerProcess(framework, variant, bench.server.url);
      for (const variant of variants.filter((name) => name !== 'bare')) {
        for (let n = 0; n < REPLAY_KEYS; n += 1) await sendOnce(servers[variant], framework, `replay-${n}`);
        const counted = (key: string) =>
          countCommands(
            bench,
            // express-idempotency stores the response after sending it: give that write time to land.
            async () => (await sendOnce(servers[variant], framework, key), await sleep(100)),
            (args) => args[1]?.startsWith('payments:') === true,
          );
        const firstExecution = (await counted('counted')).roundTrips; // a new key…
        roundTrips.push({ framework, variant, firstExecution, replay: (await counted('counted')).roundTrips }); // …then the same key again
      }
      let run = 0;
      for (const mode of MODES) {
        const options = (seconds: number) => {
          const prefix = `first-${(run += 1)}-`;
          return { seconds, connections: CONNECTIONS, keyFor: mode === 'replay' ? (n: number) => `replay-${n % REPLAY_KEYS}` : (n: number) => prefix + n };
        };
        for (const variant of variants) await load(servers[variant], framework, options(WARM_UP_SECONDS));
        const runs = Object.fromEntries(variants.map((variant) => [variant, [] as LoadResult[]])) as Record<Variant, LoadResult[]>;
        for (let round = 0; round < ROUNDS; round += 1) {
          for (const variant of variants) runs[variant].push(await load(servers[variant], framework, options(SECONDS)));
        }
        const compare = (variant: Variant, baseline: Variant): Comparison => ({
          framework,
          variant,
          baseline,
          mode,
          measured: medianOf(runs[variant]),
          reference: medianOf(runs[baseline]),
          throughputRatio: median(runs[variant].map((result, round) => result.requestsPerSecond / (runs[baseline][round]?.requestsPerSecond ?? Number.NaN))),
        });
        for (const variant of variants.filter((name) => name !== 'bare')) comparisons.push(compare(variant, 'bare'));
        if (variants.includes('peer')) comparisons.push(compare('plugin', 'peer'));
      }
    } finally {
      await Promise.all(Object.values(servers).map((server) => server.stop()));
    }
  }

  const findings: Finding[] = comparisons.map(({ framework, variant, baseline, mode, measured, reference, throughputRatio }) => {
    const base = {
      benchmark: `HTTP ${FRAMEWORK_NAME[framework]}: req/s ${VARIANT_NAME[variant]} ÷ ${VARIANT_NAME[baseline]}`,
      case: mode,
      result: `${ratio(throughputRatio)} (${count(measured.requestsPerSecond)} vs ${count(reference.requestsPerSecond)} req/s)`,
    };
    return variant === 'plugin' && baseline === 'bare' ? againstGoal(base, throughputRatio, '>=', GOALS[mode]) : base;
  });
  return {
    title: 'HTTP overhead: with idempotency vs. the same server without it',
    findings,
    details: [
      `autocannon, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s per server after a ${WARM_UP_SECONDS} s warm-up ` +
        '(req/s and latencies: median of rounds; ratio: median of the per-round ratios). Each server runs in its own child process, ' +
        'the load generator in the bench process, Redis in a third; every request carries an `Idempotency-Key`. ' +
        `The mutation does one Redis \`SET\`. Replays cycle over ${REPLAY_KEYS} completed keys; the server without idempotency runs the mutation each time. ` +
        'Express has no adapter in this library: its "this library" server calls the engine from the route (a few lines of glue); ' +
        'express-idempotency runs with a benchmark-local ioredis data adapter (GET / SET / DEL of one JSON string per key).',
      '',
      markdownTable(
        ['server', 'case', 'compared', 'req/s', 'throughput ratio', 'p50', 'p99'],
        comparisons.map(({ framework, variant, baseline, mode, measured, reference, throughputRatio }) => [
          FRAMEWORK_NAME[framework],
          mode,
          `${VARIANT_NAME[variant]} vs ${VARIANT_NAME[baseline]}`,
          `${count(measured.requestsPerSecond)} vs ${count(reference.requestsPerSecond)}`,
          ratio(throughputRatio),
          `${measured.p50Ms} vs ${reference.p50Ms} ms`,
          `${measured.p99Ms} vs ${reference.p99Ms} ms`,
        ]),
      ),
      '',
      'Redis round trips per HTTP request, counted by Redis (MONITOR), the mutation\'s own write left out:',
      '',
      markdownTable(
        ['server', 'idempotency', 'first execution', 'replay'],
        roundTrips.map(({ framework, variant, firstExecution, replay }) => [FRAMEWORK_NAME[framework], VARIANT_NAME[variant], firstExecution, replay]),
      ),
    ].join('\n'),
    data: { comparisons, roundTrips },
  };
}

function medianOf(results: LoadResult[]): LoadResult {
  return {
    requestsPerSecond: median(results.map((result) => result.requestsPerSecond)),
    p50Ms: median(results.map((result) => result.p50Ms)),
    p99Ms: median(results.map((result) => result.p99Ms)),
  };
}
