/**
 * HTTP overhead on loopback with a real Redis: a keyed mutation (one Redis write) on GraphQL Yoga
 * and on tRPC, with the plugin vs. the same server without it. Each server runs in its own child
 * process, autocannon in this one; bare and plugin runs alternate. First executions (a unique key
 * per request) and replays (a pool of completed keys) are reported separately.
 */
import { load, sendOnce, startServerProcess, type LoadResult } from './http/load.js';
import type { Framework } from './http/servers.js';
import { median } from './support/measure.js';
import type { BenchRedis } from './support/redis.js';
import { againstGoal, count, markdownTable, ratio, type Finding, type Section } from './support/report.js';

const SECONDS = 5;
const WARM_UP_SECONDS = 1;
const ROUNDS = 2;
const CONNECTIONS = 10;
const REPLAY_KEYS = 500;

type Mode = 'replay' | 'first execution';
const GOALS: Record<Mode, number> = { replay: 0.9, 'first execution': 0.85 };

interface Comparison {
  framework: Framework;
  mode: Mode;
  bare: LoadResult;
  plugin: LoadResult;
}

export async function httpOverhead(bench: BenchRedis): Promise<Section> {
  const comparisons: Comparison[] = [];
  for (const framework of ['yoga', 'trpc'] as const) {
    const bare = await startServerProcess(framework, 'bare', bench.server.url);
    const plugin = await startServerProcess(framework, 'plugin', bench.server.url);
    try {
      for (let n = 0; n < REPLAY_KEYS; n += 1) await sendOnce(plugin, framework, `replay-${n}`);
      let run = 0;
      for (const mode of ['first execution', 'replay'] as const) {
        const options = (seconds: number) => {
          run += 1;
          const prefix = `first-${run}-`;
          return { seconds, connections: CONNECTIONS, keyFor: mode === 'replay' ? (n: number) => `replay-${n % REPLAY_KEYS}` : (n: number) => prefix + n };
        };
        await load(bare, framework, options(WARM_UP_SECONDS));
        await load(plugin, framework, options(WARM_UP_SECONDS));
        const runs: Record<'bare' | 'plugin', LoadResult[]> = { bare: [], plugin: [] };
        for (let round = 0; round < ROUNDS; round += 1) {
          runs.bare.push(await load(bare, framework, options(SECONDS)));
          runs.plugin.push(await load(plugin, framework, options(SECONDS)));
        }
        comparisons.push({ framework, mode, bare: medianOf(runs.bare), plugin: medianOf(runs.plugin) });
      }
    } finally {
      await Promise.all([bare.stop(), plugin.stop()]);
    }
  }
  const name: Record<Framework, string> = { yoga: 'GraphQL Yoga', trpc: 'tRPC' };
  const findings: Finding[] = comparisons.map(({ framework, mode, bare, plugin }) => {
    const share = plugin.requestsPerSecond / bare.requestsPerSecond;
    return againstGoal(
      {
        benchmark: `HTTP ${name[framework]} (req/s with ÷ without)`,
        case: mode,
        result: `${ratio(share)} (${count(plugin.requestsPerSecond)} vs ${count(bare.requestsPerSecond)} req/s)`,
      },
      share,
      '>=',
      GOALS[mode],
    );
  });
  return {
    title: 'HTTP overhead: with the plugin vs. the same server without it',
    findings,
    details: [
      `autocannon, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s per side after a ${WARM_UP_SECONDS} s warm-up (median of rounds); ` +
        'server in its own child process, load generator in the bench process, Redis in a third; every request carries an `Idempotency-Key`. ' +
        `The mutation does one Redis \`SET\`. Replays cycle over ${REPLAY_KEYS} completed keys; the bare server runs the mutation each time.`,
      '',
      markdownTable(
        ['server', 'case', 'req/s without', 'req/s with', 'throughput ratio', 'p50 without → with', 'p99 without → with'],
        comparisons.map(({ framework, mode, bare, plugin }) => [
          name[framework],
          mode,
          count(bare.requestsPerSecond),
          count(plugin.requestsPerSecond),
          ratio(plugin.requestsPerSecond / bare.requestsPerSecond),
          `${bare.p50Ms} → ${plugin.p50Ms} ms`,
          `${bare.p99Ms} → ${plugin.p99Ms} ms`,
        ]),
      ),
    ].join('\n'),
    data: comparisons,
  };
}

function medianOf(results: LoadResult[]): LoadResult {
  return {
    requestsPerSecond: median(results.map((result) => result.requestsPerSecond)),
    p50Ms: median(results.map((result) => result.p50Ms)),
    p99Ms: median(results.map((result) => result.p99Ms)),
  };
}
