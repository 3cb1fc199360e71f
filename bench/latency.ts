/**
 * The physical floor: one raw EVALSHA round trip of a trivial script, measured side by side
 * with a replay through the engine and the Redis store (same server, same kind of connection).
 */
import { createIdempotencyEngine, createMemoryStore } from '../src/index.js';
import { fingerprint, recordId } from '../src/adapter-kit.js';
import { createRedisStore } from '../src/stores/redis.js';
import { BEGIN } from '../src/stores/redis-scripts.js';
import { operationName, paymentInput, storedPayment } from './support/fixture.js';
import { alternatingLatencies } from './support/measure.js';
import type { BenchRedis } from './support/redis.js';
import {
  againstGoal,
  markdownTable,
  micros,
  perRound,
  ratio,
  ratioSpread,
  ratioStats,
  roundList,
  type Section,
} from './support/report.js';

export async function replayLatency(bench: BenchRedis): Promise<Section> {
  const raw = bench.connect();
  const trivialScript = (await raw.script('LOAD', 'return 1')) as string;
  const beginScript = (await raw.script('LOAD', BEGIN)) as string;
  const redisStore = createRedisStore({ redis: bench.connect(), prefix: 'bench:lat:' });
  const redisEngine = createIdempotencyEngine({ store: redisStore });
  const memoryEngine = createIdempotencyEngine({ store: createMemoryStore() });
  // Room for every first execution measured (warm-up block + rounds): the store refuses new keys when full.
  const firstEngine = createIdempotencyEngine({
    store: createMemoryStore({ maxRecords: 20_000, maxRecordsPerScope: 20_000 }),
  });
  const replayOn = (engine: typeof redisEngine) => () =>
    engine.execute({
      scope: 'user-1',
      operation: operationName,
      key: 'replayed-key',
      input: paymentInput,
      run: async () => storedPayment,
    });
  await replayOn(redisEngine)();
  await replayOn(memoryEngine)();
  const id = recordId('user-1', operationName, 'replayed-key');
  const begin = {
    id,
    scopeId: 'bench',
    fingerprint: await fingerprint(paymentInput),
    owner: 'bench',
    leaseMs: 10_000,
    ttlMs: 86_400_000,
  };

  const latency = await alternatingLatencies(
    {
      evalsha: () => raw.evalsha(trivialScript, 0),
      beginScript: () =>
        raw.evalsha(beginScript, 1, `bench:lat:{${id}}`, begin.fingerprint, begin.owner, begin.leaseMs, begin.ttlMs),
      storeBegin: () => redisStore.begin(begin),
      replayRedis: replayOn(redisEngine),
      replayMemory: replayOn(memoryEngine),
      firstMemory: (i: number) =>
        firstEngine.execute({
          scope: 'user-1',
          operation: operationName,
          key: `first-${i}`,
          input: paymentInput,
          run: async () => storedPayment,
        }),
    },
    { rounds: 10, perRound: 1_000 },
  );
  const multiple = latency.replayRedis.p50 / latency.evalsha.p50;
  const rounds = ratioStats(
    perRound(
      latency.replayRedis.rounds.map((round) => round.p50),
      latency.evalsha.rounds.map((round) => round.p50),
    ),
  );
  const rows: [string, (typeof latency)['evalsha']][] = [
    ['raw EVALSHA `return 1` (floor)', latency.evalsha],
    ['raw EVALSHA of the `begin` script (server-side script cost)', latency.beginScript],
    ['`store.begin()` alone (client wrapper, reply decoding)', latency.storeBegin],
    ['replay through the engine, Redis store', latency.replayRedis],
    ['replay, memory store (engine CPU only)', latency.replayMemory],
    ['first execution, memory store (engine CPU only)', latency.firstMemory],
  ];
  const engineCpu = (name: string, value: (typeof latency)['evalsha'], goalMicros: number) =>
    againstGoal(
      {
        benchmark: 'Engine CPU (memory store)',
        case: `${name} p50`,
        result: `${micros(value.p50)} (per-round p50 ${Math.min(...value.rounds.map((round) => round.p50)).toFixed(0)}–${Math.max(...value.rounds.map((round) => round.p50)).toFixed(0)} µs; p99 ${micros(value.p99)})`,
      },
      value.p50,
      '<=',
      goalMicros,
      ' µs',
    );
  return {
    title: 'Replay latency vs. the physical floor',
    findings: [
      againstGoal(
        {
          benchmark: 'Replay latency',
          case: 'p50 replay ÷ p50 raw EVALSHA',
          result: `${ratio(multiple)} (per round ${ratioSpread(rounds)}; ${micros(latency.replayRedis.p50)} vs ${micros(latency.evalsha.p50)})`,
        },
        multiple,
        '<=',
        1.2,
      ),
      engineCpu('replay', latency.replayMemory, 4),
      engineCpu('first execution', latency.firstMemory, 6),
    ],
    details: [
      '10 alternating rounds of 1,000 sequential calls per contender after a warm-up block; p50 / p99 / mean over all rounds. ' +
        `Per-round p50 replay ÷ p50 raw EVALSHA: ${roundList(rounds)} (median ${ratioSpread(rounds)}).`,
      '',
      markdownTable(
        ['sequential, one at a time', 'p50', 'p99', 'mean', '× floor (p50)', 'per-round p50 (µs)'],
        rows.map(([name, value]) => [
          name,
          micros(value.p50),
          micros(value.p99),
          micros(value.mean),
          ratio(value.p50 / latency.evalsha.p50),
          value.rounds.map((round) => round.p50.toFixed(0)).join(' '),
        ]),
      ),
    ].join('\n'),
    data: latency,
  };
}
