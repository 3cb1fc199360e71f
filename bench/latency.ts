/**
 * Sequential latency against two floors, side by side: one raw EVALSHA round trip of a trivial
 * script, and the floor implementation (`support/floor.ts`, the same guarantees and nothing else) on
 * Redis and in memory, beside a replay / first execution through the engine (same server, same kind
 * of connection).
 */
import { createMemoryFloor, createRedisFloor, type Floor } from './support/floor.js';
import {
  createIdempotencyEngine,
  createMemoryStore,
  createRedisStore,
  fingerprint,
  recordId,
} from './support/library.js';
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
  const redisFloor = await createRedisFloor(bench.connect(), 'bench:floor:');
  const memoryFloor = createMemoryFloor();
  const firstFloor = createMemoryFloor();
  const replayOn = (engine: typeof redisEngine | Floor) => () =>
    engine.execute({
      scope: 'user-1',
      operation: operationName,
      key: 'replayed-key',
      input: paymentInput,
      run: async () => storedPayment,
    });
  await replayOn(redisEngine)();
  await replayOn(memoryEngine)();
  await replayOn(redisFloor)();
  await replayOn(memoryFloor)();
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
      floorReplayRedis: replayOn(redisFloor),
      replayMemory: replayOn(memoryEngine),
      floorReplayMemory: replayOn(memoryFloor),
      firstMemory: (i: number) =>
        firstEngine.execute({
          scope: 'user-1',
          operation: operationName,
          key: `first-${i}`,
          input: paymentInput,
          run: async () => storedPayment,
        }),
      floorFirstMemory: (i: number) =>
        firstFloor.execute({
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
  type Measured = (typeof latency)['evalsha'];
  /** This library ÷ the floor, p50 over all rounds, with the per-round p50 ratios. */
  const againstFloor = (benchmark: string, name: string, measured: Measured, floor: Measured, goal: number) => {
    const rounds = ratioStats(
      perRound(
        measured.rounds.map((round) => round.p50),
        floor.rounds.map((round) => round.p50),
      ),
    );
    const value = measured.p50 / floor.p50;
    return againstGoal(
      {
        benchmark,
        case: `${name} p50 ÷ the floor's`,
        result: `${ratio(value)} (per round ${ratioSpread(rounds)}; ${micros(measured.p50)} vs ${micros(floor.p50)})`,
      },
      value,
      '<=',
      goal,
    );
  };
  const rounds = ratioStats(
    perRound(
      latency.replayRedis.rounds.map((round) => round.p50),
      latency.evalsha.rounds.map((round) => round.p50),
    ),
  );
  const engineCpu = (name: string, value: Measured) => ({
    benchmark: 'Engine CPU (memory store)',
    case: `${name} p50`,
    result: `${micros(value.p50)} (per-round p50 ${Math.min(...value.rounds.map((round) => round.p50)).toFixed(0)}–${Math.max(...value.rounds.map((round) => round.p50)).toFixed(0)} µs; p99 ${micros(value.p99)})`,
  });
  const rows: [string, Measured][] = [
    ['raw EVALSHA `return 1`', latency.evalsha],
    ['raw EVALSHA of the `begin` script (server-side script cost)', latency.beginScript],
    ['`store.begin()` alone (client wrapper, reply decoding)', latency.storeBegin],
    ['replay through the engine, Redis store', latency.replayRedis],
    ['replay, floor implementation, Redis', latency.floorReplayRedis],
    ['replay, memory store (engine CPU only)', latency.replayMemory],
    ['replay, floor implementation, memory', latency.floorReplayMemory],
    ['first execution, memory store (engine CPU only)', latency.firstMemory],
    ['first execution, floor implementation, memory', latency.floorFirstMemory],
  ];
  return {
    title: 'Replay latency vs. the physical floor',
    findings: [
      {
        benchmark: 'Replay latency',
        case: 'p50 replay ÷ p50 raw EVALSHA',
        result: `${ratio(multiple)} (per round ${ratioSpread(rounds)}; ${micros(latency.replayRedis.p50)} vs ${micros(latency.evalsha.p50)}); the floor: ${ratio(latency.floorReplayRedis.p50 / latency.evalsha.p50)}`,
      },
      againstFloor('Replay latency (Redis)', 'replay', latency.replayRedis, latency.floorReplayRedis, 1.1),
      againstFloor('Engine CPU (memory store)', 'replay', latency.replayMemory, latency.floorReplayMemory, 1.15),
      againstFloor('Engine CPU (memory store)', 'first execution', latency.firstMemory, latency.floorFirstMemory, 1.15),
      engineCpu('replay', latency.replayMemory),
      engineCpu('first execution', latency.firstMemory),
    ],
    details: [
      '10 alternating rounds of 1,000 sequential calls per contender after a warm-up block; p50 / p99 / mean over all rounds. ' +
        `Per-round p50 replay ÷ p50 raw EVALSHA: ${roundList(rounds)} (median ${ratioSpread(rounds)}).`,
      '',
      markdownTable(
        ['sequential, one at a time', 'p50', 'p99', 'mean', '× raw EVALSHA (p50)', 'per-round p50 (µs)'],
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
