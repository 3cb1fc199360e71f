/**
 * HTTP overhead on loopback with a real Redis: a keyed mutation on GraphQL Yoga, tRPC and Express,
 * with idempotency vs. the same server without it, in phases:
 *
 * - the stand-in mutation (one Redis `SET`), 10 connections: Yoga, tRPC and Express, each also as
 *   the structural ceiling (no idempotency, but the two extra plain round trips a first execution
 *   needs); Express also with `express-idempotency` and `@node-idempotency/core`;
 * - the realistic mutation (a PostgreSQL transaction inserting a payment row), 10 connections;
 * - the stand-in at 10× concurrency (100 connections), with p50 / p99 both ways.
 *
 * Each server runs in its own child process, autocannon in this one; in a phase the servers
 * alternate round by round (the order rotating every round), and every ratio is the median of the
 * per-round ratios, printed with their range and each round's value. First executions (a unique
 * key per request) and replays (a pool of completed keys) are measured separately; a server
 * without idempotency runs the mutation on every request, so a replay is compared with a first
 * execution without the library.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { load, sendOnce, startServerProcess, type LoadResult, type ServerProcess } from './http/load.js';
import type { Framework, Guard, ServerConfig, Workload } from './http/servers.js';
import { median } from './support/measure.js';
import { connectBenchPostgres, type BenchPostgres } from './support/postgres.js';
import { countCommands, type BenchRedis } from './support/redis.js';
import {
  againstGoal,
  count,
  markdownTable,
  perRound,
  ratioSpread,
  ratioStats,
  roundList,
  type Finding,
  type RatioStats,
  type Section,
} from './support/report.js';

/** autocannon ends a run on its once-a-second tick: durations are whole seconds. */
const SECONDS = 1;
const WARM_UP_SECONDS = 1;
const ROUNDS = 5;
const REPLAY_KEYS = 200;

type Mode = 'first execution' | 'replay';
const MODES: Mode[] = ['first execution', 'replay'];

/** A server in a phase: who guards the mutation. */
interface Variant {
  guard: Guard;
}
const variantId = ({ guard }: Variant) => guard;

type Goal = { comparison: '>=' | '<='; target: number };

/** What a phase compares: `variant ÷ baseline` req/s per round; goals per mode; p99 goal (≤) if any. */
interface ComparisonSpec {
  variant: Variant;
  baseline: Variant;
  goals?: Partial<Record<Mode, Goal>>;
  p99Goal?: number;
}

type Group = 'overhead' | 'postgres' | 'concurrency';

interface Phase {
  group: Group;
  framework: Framework;
  workload: Workload;
  connections: number;
  variants: Variant[];
  comparisons: ComparisonSpec[];
  /** Count Redis round trips per request (MONITOR) for the variants with idempotency. */
  countRoundTrips?: boolean;
  /** Rounds and seconds per round, where this phase needs more than the default to rise above the noise. */
  timing?: Timing;
}

/** How long each server is loaded: `rounds` alternating rounds of `seconds` each, after a warm-up. */
interface Timing {
  rounds: number;
  seconds: number;
}
const DEFAULT_TIMING: Timing = { rounds: ROUNDS, seconds: SECONDS };
/** The PostgreSQL workload varies more from round to round (its commits and its own CPU share): longer rounds. */
const POSTGRES_TIMING: Timing = { rounds: 5, seconds: 2 };

const FRAMEWORK_NAME: Record<Framework, string> = { yoga: 'GraphQL Yoga', trpc: 'tRPC', express: 'Express' };
const GUARD_NAME: Record<Guard, string> = {
  bare: 'without',
  plugin: 'this library',
  ceiling: 'the structural ceiling',
  'express-idempotency': 'express-idempotency',
  'node-idempotency': '@node-idempotency/core',
  'postgres-store': 'this library, PostgreSQL store',
  'postgres-ceiling': 'the PostgreSQL ceiling',
  'postgres-ceiling-async': 'the PostgreSQL ceiling, claim committed asynchronously',
};
const variantName = ({ guard }: Variant) => GUARD_NAME[guard];
/** The guards that stand in for an idempotent first execution without keeping records: they cannot replay. */
const isCeiling = (guard: Guard) =>
  guard === 'ceiling' || guard === 'postgres-ceiling' || guard === 'postgres-ceiling-async';

const bare: Variant = { guard: 'bare' };
const plugin: Variant = { guard: 'plugin' };
const ceiling: Variant = { guard: 'ceiling' };
const expressIdempotency: Variant = { guard: 'express-idempotency' };
const nodeIdempotency: Variant = { guard: 'node-idempotency' };
const postgresStore: Variant = { guard: 'postgres-store' };
const postgresCeiling: Variant = { guard: 'postgres-ceiling' };
const postgresCeilingAsync: Variant = { guard: 'postgres-ceiling-async' };

/** A replay skips the mutation, so it must not cost more than running it. */
const OVERHEAD_GOALS: Partial<Record<Mode, Goal>> = {
  'first execution': { comparison: '>=', target: 0.8 },
  replay: { comparison: '>=', target: 1 },
};
const VS_EXPRESS_IDEMPOTENCY_GOALS: Partial<Record<Mode, Goal>> = {
  'first execution': { comparison: '>=', target: 1.05 },
  replay: { comparison: '>=', target: 2.2 },
};
/** Within 10 % of the structural ceiling: this library's req/s ÷ the ceiling server's, first executions (a replay needs one round trip, as the server without does). */
const CEILING_GOALS: Partial<Record<Mode, Goal>> = { 'first execution': { comparison: '>=', target: 0.9 } };
const POSTGRES_GOALS: Partial<Record<Mode, Goal>> = {
  'first execution': { comparison: '>=', target: 0.9 },
  replay: { comparison: '>=', target: 1.2 },
};
const POSTGRES_STORE_GOALS: Partial<Record<Mode, Goal>> = {
  'first execution': { comparison: '>=', target: 0.9 },
  replay: { comparison: '>=', target: 1.5 },
};

function phases(): Phase[] {
  const list: Phase[] = [];
  for (const framework of ['yoga', 'trpc'] as const) {
    list.push({
      group: 'overhead',
      framework,
      workload: 'redis',
      connections: 10,
      variants: [bare, plugin, ceiling],
      countRoundTrips: true,
      comparisons: [
        { variant: plugin, baseline: bare, goals: OVERHEAD_GOALS },
        { variant: ceiling, baseline: bare },
        { variant: plugin, baseline: ceiling, goals: CEILING_GOALS },
      ],
    });
  }
  list.push({
    group: 'overhead',
    framework: 'express',
    workload: 'redis',
    connections: 10,
    variants: [bare, plugin, ceiling, expressIdempotency, nodeIdempotency],
    countRoundTrips: true,
    comparisons: [
      { variant: plugin, baseline: bare, goals: OVERHEAD_GOALS },
      { variant: ceiling, baseline: bare },
      { variant: plugin, baseline: ceiling, goals: CEILING_GOALS },
      { variant: expressIdempotency, baseline: bare },
      { variant: nodeIdempotency, baseline: bare },
      { variant: plugin, baseline: expressIdempotency, goals: VS_EXPRESS_IDEMPOTENCY_GOALS },
      { variant: plugin, baseline: nodeIdempotency },
    ],
  });
  for (const framework of ['yoga', 'trpc'] as const) {
    list.push({
      group: 'postgres',
      framework,
      workload: 'postgres',
      connections: 10,
      variants: [bare, plugin, postgresStore, postgresCeiling, postgresCeilingAsync],
      timing: POSTGRES_TIMING,
      comparisons: [
        { variant: plugin, baseline: bare, goals: POSTGRES_GOALS },
        { variant: postgresStore, baseline: bare, goals: POSTGRES_STORE_GOALS },
        { variant: postgresCeiling, baseline: bare },
        { variant: postgresCeilingAsync, baseline: bare },
        { variant: postgresStore, baseline: postgresCeiling, goals: CEILING_GOALS },
      ],
    });
  }
  for (const framework of ['yoga', 'trpc'] as const) {
    list.push({
      group: 'concurrency',
      framework,
      workload: 'redis',
      connections: 100,
      variants: [bare, plugin],
      comparisons: [{ variant: plugin, baseline: bare, goals: OVERHEAD_GOALS, p99Goal: 1.5 }],
    });
  }
  return list;
}

/** One comparison measured in one phase and mode. */
interface Comparison {
  group: Group;
  framework: Framework;
  workload: Workload;
  connections: number;
  variant: Variant;
  baseline: Variant;
  mode: Mode;
  /** Medians over rounds. */
  measured: LoadResult;
  reference: LoadResult;
  throughput: RatioStats;
  p50: RatioStats;
  p99: RatioStats;
  goal?: Goal;
  p99Goal?: number;
}

/** Redis commands one HTTP request costs (the mutation's own write left out), counted by MONITOR. */
interface RoundTrips {
  framework: Framework;
  variant: string;
  firstExecution: number;
  replay: number;
}

export async function httpOverhead(bench: BenchRedis): Promise<Section[]> {
  const postgres = await connectBenchPostgres();
  const postgresNote =
    'unavailable' in postgres
      ? `PostgreSQL rows skipped: ${postgres.unavailable}.`
      : `PostgreSQL: ${postgres.description}.`;
  if ('unavailable' in postgres) process.stderr.write(`\nbench: ${postgresNote} The rest of the bench still runs.\n`);
  const comparisons: Comparison[] = [];
  const roundTrips: RoundTrips[] = [];
  try {
    for (const phase of phases()) {
      if (phase.workload === 'postgres' && 'unavailable' in postgres) continue;
      const pg = 'unavailable' in postgres ? undefined : postgres;
      comparisons.push(...(await runPhase(bench, pg, phase, roundTrips)));
    }
  } finally {
    if (!('unavailable' in postgres)) await postgres.truncate().finally(() => postgres.close());
  }
  return [
    overheadSection(comparisons, roundTrips),
    postgresSection(comparisons, postgresNote),
    concurrencySection(comparisons),
  ];
}

async function runPhase(
  bench: BenchRedis,
  postgres: BenchPostgres | undefined,
  phase: Phase,
  roundTrips: RoundTrips[],
): Promise<Comparison[]> {
  const { framework, workload, connections, variants } = phase;
  const ids = variants.map(variantId);
  const servers = new Map<string, ServerProcess>();
  const configOf = (variant: Variant): ServerConfig => ({
    framework,
    guard: variant.guard,
    workload,
    autoPipelining: false,
    redisUrl: bench.server.url,
    postgresUrl: postgres?.url,
    poolSize: Math.min(connections, 20),
  });
  const server = (variant: Variant) => servers.get(variantId(variant)) as ServerProcess;
  const began = performance.now();
  const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)} s`;
  process.stderr.write(`\n  ${FRAMEWORK_NAME[framework]}, ${workload}, ${connections} connections:`);
  try {
    const started = await Promise.allSettled(
      variants.map(async (variant) => servers.set(variantId(variant), await startServerProcess(configOf(variant)))),
    );
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    process.stderr.write(` started ${elapsed()},`);
    const guarded = variants.filter((variant) => variant.guard !== 'bare' && !isCeiling(variant.guard));
    // Completed keys for the replays, 10 requests in flight per server (distinct keys: no conflicts).
    await Promise.all(
      guarded.flatMap((variant) =>
        Array.from({ length: 10 }, async (_, lane) => {
          for (let n = lane; n < REPLAY_KEYS; n += 10) await sendOnce(server(variant), framework, `replay-${n}`);
        }),
      ),
    );
    process.stderr.write(` replay keys ${elapsed()},`);
    if (phase.countRoundTrips) {
      for (const variant of guarded) {
        const counted = (key: string) =>
          countCommands(
            bench,
            // express-idempotency stores the response after sending it: give that write time to land.
            async () => (await sendOnce(server(variant), framework, key), await sleep(100)),
            (args) => args[1]?.startsWith('payments:') === true,
          );
        const firstExecution = (await counted('counted')).roundTrips; // a new key…
        roundTrips.push({
          framework,
          variant: variantName(variant),
          firstExecution,
          replay: (await counted('counted')).roundTrips,
        }); // …then the same key again
      }
    }
    const results: Comparison[] = [];
    let run = 0;
    for (const mode of MODES) {
      await postgres?.truncate();
      const options = (seconds: number) => {
        const prefix = `first-${connections}-${(run += 1)}-`;
        return {
          seconds,
          connections,
          keyFor: mode === 'replay' ? (n: number) => `replay-${n % REPLAY_KEYS}` : (n: number) => prefix + n,
        };
      };
      // The ceiling is a first execution's: on replay keys it would still make its three round trips.
      const loaded = mode === 'replay' ? variants.filter((variant) => !isCeiling(variant.guard)) : variants;
      for (const variant of loaded) await load(server(variant), framework, options(WARM_UP_SECONDS));
      const runs = new Map<string, LoadResult[]>(ids.map((id) => [id, []]));
      const { rounds, seconds } = phase.timing ?? DEFAULT_TIMING;
      for (let round = 0; round < rounds; round += 1) {
        // Rotate who goes first, so no server always runs right after the same neighbour.
        const order = loaded.map((_, i) => loaded[(i + round) % loaded.length] as Variant);
        for (const variant of order)
          runs.get(variantId(variant))?.push(await load(server(variant), framework, options(seconds)));
      }
      process.stderr.write(` ${mode} ${elapsed()},`);
      for (const spec of phase.comparisons) {
        if (mode === 'replay' && (isCeiling(spec.variant.guard) || isCeiling(spec.baseline.guard))) continue;
        const measured = runs.get(variantId(spec.variant)) ?? [];
        const reference = runs.get(variantId(spec.baseline)) ?? [];
        const pick = (results: LoadResult[], field: keyof LoadResult) => results.map((result) => result[field]);
        results.push({
          group: phase.group,
          framework,
          workload,
          connections,
          variant: spec.variant,
          baseline: spec.baseline,
          mode,
          measured: medianOf(measured),
          reference: medianOf(reference),
          throughput: ratioStats(perRound(pick(measured, 'requestsPerSecond'), pick(reference, 'requestsPerSecond'))),
          p50: ratioStats(perRound(pick(measured, 'p50Ms'), pick(reference, 'p50Ms'))),
          p99: ratioStats(perRound(pick(measured, 'p99Ms'), pick(reference, 'p99Ms'))),
          goal: spec.goals?.[mode],
          p99Goal: spec.p99Goal,
        });
      }
    }
    return results;
  } finally {
    await Promise.all([...servers.values()].map((child) => child.stop()));
  }
}

/** The case as printed: a replay against a server without idempotency is a replay against a first execution. */
function modeCase({ mode, variant, baseline }: Pick<Comparison, 'mode' | 'variant' | 'baseline'>): string {
  if (mode !== 'replay') return mode;
  if (variant.guard === 'bare' && baseline.guard === 'bare') return 'replay keys (no idempotency: the mutation runs)';
  return baseline.guard === 'bare' ? 'replay (÷ a first execution without)' : 'replay';
}

function throughputFinding(comparison: Comparison, benchmark: string): Finding {
  const { measured, reference, throughput, goal } = comparison;
  const base = {
    benchmark,
    case: modeCase(comparison),
    result: `${ratioSpread(throughput)} (${count(measured.requestsPerSecond)} vs ${count(reference.requestsPerSecond)} req/s)`,
  };
  return goal ? againstGoal(base, throughput.median, goal.comparison, goal.target) : base;
}

/** The detail table shared by every HTTP section. */
function comparisonTable(comparisons: Comparison[]): string {
  return markdownTable(
    ['server', 'case', 'compared', 'req/s', 'throughput ratio [range]', 'per-round ratios', 'p50', 'p99'],
    comparisons.map((comparison) => [
      FRAMEWORK_NAME[comparison.framework],
      modeCase(comparison),
      `${variantName(comparison.variant)} vs ${variantName(comparison.baseline)}`,
      `${count(comparison.measured.requestsPerSecond)} vs ${count(comparison.reference.requestsPerSecond)}`,
      ratioSpread(comparison.throughput),
      roundList(comparison.throughput),
      `${comparison.measured.p50Ms} vs ${comparison.reference.p50Ms} ms`,
      `${comparison.measured.p99Ms} vs ${comparison.reference.p99Ms} ms`,
    ]),
  );
}

const method = (connections: number, { rounds, seconds }: Timing = DEFAULT_TIMING) =>
  `autocannon, ${connections} connections, ${rounds} alternating rounds of ${seconds} s per server (who goes first rotates each round) after a ${WARM_UP_SECONDS} s warm-up; ` +
  "req/s and latencies: median of rounds; throughput ratio: median of the per-round ratios (req/s of the first-named server ÷ req/s of the second in the same round), with their range and every round's value. " +
  'Each server runs in its own child process, the load generator in the bench process, Redis (and PostgreSQL) in their own; every request carries an `Idempotency-Key`. ' +
  `First executions use a new key per request; replays cycle over ${REPLAY_KEYS} completed keys, and the server without idempotency runs the mutation every time, ` +
  'so a replay row compares a replay with the library against a first execution without it.';

function overheadSection(all: Comparison[], roundTrips: RoundTrips[]): Section {
  const comparisons = all.filter((comparison) => comparison.group === 'overhead');
  return {
    title: 'HTTP overhead: with idempotency vs. the same server without it (stand-in mutation: one Redis SET)',
    findings: comparisons.map((comparison) =>
      throughputFinding(
        comparison,
        `HTTP ${FRAMEWORK_NAME[comparison.framework]}: req/s ${variantName(comparison.variant)} ÷ ${variantName(comparison.baseline)}`,
      ),
    ),
    details: [
      method(10),
      '',
      'The mutation does one Redis `SET` (a stand-in that makes the overhead look as large as it can). ' +
        'Express has no adapter in this library: its "this library" server calls the engine from the route (a few lines of glue); ' +
        'express-idempotency runs with a benchmark-local ioredis data adapter (GET / SET / DEL of one JSON string per key); ' +
        '@node-idempotency/core runs with its Redis storage adapter (node-redis), glued into the route as its README shows (`onRequest` before the handler, `onResponse` after). ' +
        'What each peer lacks (measured, not read from docs) is in "Guarantees measured": a faster peer that runs a payment twice is not ahead. ' +
        '"The structural ceiling" is the server without idempotency whose mutation also makes two plain `SET`s on a second connection, one before and one after its own write: ' +
        'the three round trips a first execution cannot do without (claim the key, run the body, store the result), with no script, hashing or serialization. ' +
        'It is measured on first executions only (a replay needs one round trip, as the server without idempotency makes); its ratio to the server without is the best any correct implementation can reach, and the goal is this library within 10 % of it.',
      '',
      comparisonTable(comparisons),
      '',
      "Redis round trips per HTTP request, counted by Redis (MONITOR), the mutation's own write left out:",
      '',
      markdownTable(
        ['server', 'idempotency', 'first execution', 'replay'],
        roundTrips.map(({ framework, variant, firstExecution, replay }) => [
          FRAMEWORK_NAME[framework],
          variant,
          firstExecution,
          replay,
        ]),
      ),
    ].join('\n'),
    data: { comparisons, roundTrips },
  };
}

function postgresSection(all: Comparison[], postgresNote: string): Section {
  const comparisons = all.filter((comparison) => comparison.group === 'postgres');
  const findings: Finding[] = comparisons.length
    ? comparisons.map((comparison) =>
        throughputFinding(
          comparison,
          `HTTP ${FRAMEWORK_NAME[comparison.framework]}, PostgreSQL insert: req/s ${variantName(comparison.variant)} ÷ ${variantName(comparison.baseline)}`,
        ),
      )
    : [{ benchmark: 'HTTP, PostgreSQL insert', case: 'all', result: postgresNote }];
  return {
    title: 'Realistic workload: the mutation inserts a payment row in PostgreSQL',
    findings,
    details: [
      method(10, POSTGRES_TIMING),
      '',
      'The mutation runs `BEGIN; INSERT INTO bench_idempotency.payments (amount, currency) VALUES ($1, $2) RETURNING id, created_at; COMMIT` with `pg` ' +
        '(a pool of 10 connections per server). "This library" keeps its records in Redis; "this library, PostgreSQL store" keeps them in the same database and writes the row through `ctx.idempotency.tx()`, ' +
        'so the stored result commits with the row (`SELECT <table>_commit(…); COMMIT` in one round trip) after a claim committed on its own. ' +
        '"The PostgreSQL ceiling" is the server without idempotency doing what that structure cannot do without: a claim row inserted and committed on its own, then `BEGIN`, the `INSERT`, and an `UPDATE` of the claim sent with `COMMIT` ' +
        '(four round trips and two durable commits where the server without idempotency makes three and one; no lease, fence, hashing or serialization). ' +
        '"Claim committed asynchronously" is that ceiling with the claim committed under `SET LOCAL synchronous_commit = off` (in the same round trip): what giving up the claim\'s durability through a database crash would buy. ' +
        'The bench creates the schema and tables itself and truncates the payments table before every phase. ' +
        `${postgresNote}`,
      '',
      comparisons.length ? comparisonTable(comparisons) : '_Not measured._',
    ].join('\n'),
    data: { comparisons, postgres: postgresNote },
  };
}

function concurrencySection(all: Comparison[]): Section {
  const comparisons = all.filter((comparison) => comparison.group === 'concurrency');
  const atTen = (comparison: Comparison) =>
    all.find(
      (other) =>
        other.group === 'overhead' &&
        other.framework === comparison.framework &&
        other.mode === comparison.mode &&
        variantId(other.variant) === 'plugin' &&
        variantId(other.baseline) === 'bare',
    );
  const findings = comparisons.flatMap((comparison) => {
    const name = `HTTP ${FRAMEWORK_NAME[comparison.framework]}, 100 connections`;
    const p99 = againstGoal(
      {
        benchmark: `${name}: p99 this library ÷ without`,
        case: modeCase(comparison),
        result: `${ratioSpread(comparison.p99)} (${comparison.measured.p99Ms} vs ${comparison.reference.p99Ms} ms; p50 ${comparison.measured.p50Ms} vs ${comparison.reference.p50Ms} ms)`,
      },
      comparison.p99.median,
      '<=',
      comparison.p99Goal ?? 1.5,
    );
    return [throughputFinding(comparison, `${name}: req/s this library ÷ without`), p99];
  });
  return {
    title: 'Scale check: 10× concurrency (100 connections)',
    findings,
    details: [
      method(100),
      '',
      'The stand-in mutation (one Redis `SET`), as in the 10-connection rows. "At 10 connections" repeats the ratio measured there, to show whether it holds. ' +
        'Latency ratios are medians of per-round ratios (this library ÷ without).',
      '',
      markdownTable(
        [
          'server',
          'case',
          'req/s',
          'throughput ratio [range]',
          'per-round',
          'at 10 connections',
          'p50 with vs without',
          'p99 with vs without',
          'p99 ratio [range]',
          'per-round p99 ratios',
        ],
        comparisons.map((comparison) => {
          const ten = atTen(comparison);
          return [
            FRAMEWORK_NAME[comparison.framework],
            modeCase(comparison),
            `${count(comparison.measured.requestsPerSecond)} vs ${count(comparison.reference.requestsPerSecond)}`,
            ratioSpread(comparison.throughput),
            roundList(comparison.throughput),
            ten ? ratioSpread(ten.throughput) : '—',
            `${comparison.measured.p50Ms} vs ${comparison.reference.p50Ms} ms`,
            `${comparison.measured.p99Ms} vs ${comparison.reference.p99Ms} ms`,
            ratioSpread(comparison.p99),
            roundList(comparison.p99),
          ];
        }),
      ),
    ].join('\n'),
    data: { comparisons },
  };
}

function medianOf(results: LoadResult[]): LoadResult {
  return {
    requestsPerSecond: median(results.map((result) => result.requestsPerSecond)),
    p50Ms: median(results.map((result) => result.p50Ms)),
    p99Ms: median(results.map((result) => result.p99Ms)),
  };
}
