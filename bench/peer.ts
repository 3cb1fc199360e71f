/**
 * Core vs. a peer on the same work: the same function (one Redis write) made idempotent with
 * this library's engine + Redis store, with `@aws-lambda-powertools/idempotency` and with the floor
 * implementation (`support/floor.ts`) on the same redis-server; and the engine once more on a store
 * connection with ioredis `enableAutoPipelining` (the commands concurrent callers issue in one tick
 * coalesced into one socket write), to measure what coalesced writes would give. Operations per second side by side in alternating rounds; commands per
 * operation counted by Redis (MONITOR), the function's own write left out.
 */
import { createIdempotencyEngine } from './support/library.js';
import { createRedisStore } from './support/library.js';
import { insertPayment, operationName, paymentInput, type Payment, type PaymentInput } from './support/fixture.js';
import { createRedisFloor } from './support/floor.js';
import { median, throughput } from './support/measure.js';
import { powertoolsIdempotent } from './support/powertools.js';
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

const CONCURRENCY = 16;
const ROUND_MS = 1_000;
const ROUNDS = 4;
const REPLAY_KEYS = 1_000;
const SAMPLED_OPS = 100;
const LEASE_MS = 10_000;

type Contender = (key: string, n: number) => Promise<Payment>;
type Mode = 'replay' | 'first execution';
/** Goals, ops/s of this library ÷ Powertools'. */
const POWERTOOLS_GOALS: Record<Mode, number> = { replay: 2.2, 'first execution': 1.25 };

export async function peer(bench: BenchRedis): Promise<Section> {
  const database = bench.connect();
  const engine = createIdempotencyEngine({
    store: createRedisStore({ redis: bench.connect(), prefix: 'bench:core:' }),
    lease: LEASE_MS,
  });
  const powertools = powertoolsIdempotent<PaymentInput, Payment>(
    bench.connect(),
    (event) => insertPayment(database, event.input, event.n),
    LEASE_MS,
  );
  const coalescedEngine = createIdempotencyEngine({
    store: createRedisStore({ redis: bench.connect({ enableAutoPipelining: true }), prefix: 'bench:core-ap:' }),
    lease: LEASE_MS,
  });
  const floor = await createRedisFloor(bench.connect(), 'bench:floor-peer:');
  const contenders: Record<'core' | 'coalesced' | 'powertools' | 'floor', Contender> = {
    core: async (key, n) =>
      (
        await engine.execute({
          scope: null,
          operation: operationName,
          key,
          input: paymentInput,
          run: () => insertPayment(database, paymentInput, n),
        })
      ).value,
    coalesced: async (key, n) =>
      (
        await coalescedEngine.execute({
          scope: null,
          operation: operationName,
          key,
          input: paymentInput,
          run: () => insertPayment(database, paymentInput, n),
        })
      ).value,
    powertools: (key, n) => powertools({ key, input: paymentInput, n }),
    floor: async (key, n) =>
      (
        await floor.execute({
          scope: null,
          operation: operationName,
          key,
          input: paymentInput,
          run: () => insertPayment(database, paymentInput, n),
        })
      ).value,
  };
  const names = Object.keys(contenders) as (keyof typeof contenders)[];
  const keyFor = (mode: Mode, round: number, n: number) =>
    mode === 'replay' ? `replay-${n % REPLAY_KEYS}` : `first-${round}-${n}`;

  for (const name of names) for (let n = 0; n < REPLAY_KEYS; n += 1) await contenders[name](keyFor('replay', 0, n), n);

  const modes: Mode[] = ['replay', 'first execution'];
  const opsPerSecond = {} as Record<Mode, Record<string, number>>;
  const speedups = {} as Record<Mode, RatioStats>;
  const ofFloor = {} as Record<Mode, RatioStats>;
  const coalescing = {} as Record<Mode, RatioStats>;
  const commandsPerOp = {} as Record<Mode, Record<string, number>>;
  for (const mode of modes) {
    const runs: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round <= ROUNDS; round += 1) {
      for (const name of names) {
        const result = await throughput((n) => contenders[name](keyFor(mode, round, n), n), {
          concurrency: CONCURRENCY,
          durationMs: ROUND_MS,
          start: round * 10_000_000,
        });
        if (round > 0) runs[name]?.push(result.opsPerSecond); // round 0 warms up
      }
    }
    opsPerSecond[mode] = Object.fromEntries(names.map((name) => [name, median(runs[name] ?? [])]));
    speedups[mode] = ratioStats(perRound(runs.core ?? [], runs.powertools ?? []));
    ofFloor[mode] = ratioStats(perRound(runs.core ?? [], runs.floor ?? []));
    coalescing[mode] = ratioStats(perRound(runs.coalesced ?? [], runs.core ?? []));
    commandsPerOp[mode] = {};
    for (const name of names) {
      const counted = await countCommands(
        bench,
        async () => {
          for (let n = 0; n < SAMPLED_OPS; n += 1) await contenders[name](keyFor(mode, 99, n), n);
        },
        (args) => args[1]?.startsWith('payments:') === true,
      );
      commandsPerOp[mode][name] = counted.roundTrips / SAMPLED_OPS;
    }
  }

  const findings: Finding[] = modes.flatMap((mode) => {
    const speedup = speedups[mode];
    const coalesced: Finding = {
      benchmark: `Coalesced writes (ioredis enableAutoPipelining on the store's connection), ${CONCURRENCY} in flight`,
      case: mode,
      result: `${ratioSpread(coalescing[mode])} the ops/s without (${count(opsPerSecond[mode].coalesced ?? 0)} vs ${count(opsPerSecond[mode].core ?? 0)} ops/s)`,
    };
    const vsPowertools = againstGoal(
      {
        benchmark: 'vs. Powertools (ops/s)',
        case: mode,
        result: `${ratioSpread(speedup)} (${count(opsPerSecond[mode].core ?? 0)} vs ${count(opsPerSecond[mode].powertools ?? 0)} ops/s; the floor ${count(opsPerSecond[mode].floor ?? 0)} ops/s, core ÷ floor ${ratioSpread(ofFloor[mode])})`,
      },
      speedup.median,
      '>=',
      POWERTOOLS_GOALS[mode],
    );
    return [vsPowertools, coalesced];
  });
  return {
    title: 'Core vs. @aws-lambda-powertools/idempotency (same function, same Redis)',
    findings,
    details: [
      `${CONCURRENCY} operations in flight, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s each after a warm-up round (ops/s: median of rounds; ratio: median of the per-round ratios). ` +
        'The wrapped function does one Redis `SET` (a stand-in for a database insert); it is not counted in commands per operation.',
      '',
      markdownTable(
        [
          'case',
          'core ops/s',
          'Powertools ops/s',
          'floor ops/s',
          'core ÷ Powertools [range]',
          'per-round ratios',
          'core ÷ floor [range]',
          'coalesced ops/s',
          'coalesced ÷ core [range]',
          'core round trips/op',
          'Powertools round trips/op',
          'floor round trips/op',
        ],
        modes.map((mode) => [
          mode,
          count(opsPerSecond[mode].core ?? 0),
          count(opsPerSecond[mode].powertools ?? 0),
          count(opsPerSecond[mode].floor ?? 0),
          ratioSpread(speedups[mode]),
          roundList(speedups[mode]),
          ratioSpread(ofFloor[mode]),
          count(opsPerSecond[mode].coalesced ?? 0),
          ratioSpread(coalescing[mode]),
          commandsPerOp[mode].core ?? 0,
          commandsPerOp[mode].powertools ?? 0,
          commandsPerOp[mode].floor ?? 0,
        ]),
      ),
    ].join('\n'),
    data: { opsPerSecond, speedups, ofFloor, coalescing, commandsPerOp },
  };
}
