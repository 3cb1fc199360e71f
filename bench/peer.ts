/**
 * Core vs. a peer on the same work: the same function (one Redis write) made idempotent with
 * this library's engine + Redis store and with `@aws-lambda-powertools/idempotency` on the same
 * redis-server. Operations per second side by side in alternating rounds; commands per
 * operation counted by Redis (MONITOR), the function's own write left out.
 */
import { createIdempotencyEngine } from '../src/index.js';
import { createRedisStore } from '../src/stores/redis.js';
import { insertPayment, operationName, paymentInput, type Payment, type PaymentInput } from './support/fixture.js';
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
const ROUND_MS = 1_500;
const ROUNDS = 4;
const REPLAY_KEYS = 1_000;
const SAMPLED_OPS = 100;
const LEASE_MS = 10_000;

type Contender = (key: string, n: number) => Promise<Payment>;
type Mode = 'replay' | 'first execution';
/** Issue #12's goals, ops/s of this library ÷ Powertools'. */
const POWERTOOLS_GOALS: Record<Mode, number> = { replay: 2, 'first execution': 1.1 };

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
  const contenders: Record<'core' | 'powertools', Contender> = {
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
    powertools: (key, n) => powertools({ key, input: paymentInput, n }),
  };
  const names = Object.keys(contenders) as (keyof typeof contenders)[];
  const keyFor = (mode: Mode, round: number, n: number) =>
    mode === 'replay' ? `replay-${n % REPLAY_KEYS}` : `first-${round}-${n}`;

  for (const name of names) for (let n = 0; n < REPLAY_KEYS; n += 1) await contenders[name](keyFor('replay', 0, n), n);

  const modes: Mode[] = ['replay', 'first execution'];
  const opsPerSecond = {} as Record<Mode, Record<string, number>>;
  const speedups = {} as Record<Mode, RatioStats>;
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

  const findings: Finding[] = modes.map((mode) => {
    const speedup = speedups[mode];
    return againstGoal(
      {
        benchmark: 'vs. Powertools (ops/s)',
        case: mode,
        result: `${ratioSpread(speedup)} (${count(opsPerSecond[mode].core ?? 0)} vs ${count(opsPerSecond[mode].powertools ?? 0)} ops/s)`,
      },
      speedup.median,
      '>=',
      POWERTOOLS_GOALS[mode],
    );
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
          'core ÷ Powertools [range]',
          'per-round ratios',
          'core round trips/op',
          'Powertools round trips/op',
        ],
        modes.map((mode) => [
          mode,
          count(opsPerSecond[mode].core ?? 0),
          count(opsPerSecond[mode].powertools ?? 0),
          ratioSpread(speedups[mode]),
          roundList(speedups[mode]),
          commandsPerOp[mode].core ?? 0,
          commandsPerOp[mode].powertools ?? 0,
        ]),
      ),
    ].join('\n'),
    data: { opsPerSecond, speedups, commandsPerOp },
  };
}
