/**
 * The PostgreSQL store on the PostgreSQL insert workload, in process through the engine, beside
 * the Redis store and no idempotency in the same run: a first execution (the payment row written
 * through `ctx.idempotency.tx()` and committed with the result in one round trip) and a replay.
 * Round trips to PostgreSQL are counted by wrapping `pg.Client.prototype.query` (one call is one
 * round trip: the store sends several statements in one simple query where it can).
 */
import pg from 'pg';
import { operationName, paymentInput } from './support/fixture.js';
import { createIdempotencyEngine, createPostgresStore, createRedisStore } from './support/library.js';
import { alternatingLatencies } from './support/measure.js';
import { connectBenchPostgres, createPool, insertPaymentOn, insertPaymentRow, PG_TABLE } from './support/postgres.js';
import type { BenchRedis } from './support/redis.js';
import {
  againstGoal,
  markdownTable,
  perRound,
  ratioSpread,
  ratioStats,
  roundList,
  type Section,
} from './support/report.js';

const TITLE = 'PostgreSQL store (engine, PostgreSQL insert workload)';

export async function postgresStore(bench: BenchRedis): Promise<Section> {
  const postgres = await connectBenchPostgres();
  if ('unavailable' in postgres)
    return { title: TITLE, findings: [], details: `Skipped: ${postgres.unavailable}.`, data: null };
  const pool = createPool(postgres.url, 4);
  const pgStore = createPostgresStore({ pool, schema: 'bench_idempotency', table: 'records', cleanupInterval: 0 });
  const onPostgres = createIdempotencyEngine({ store: pgStore });
  const onRedis = createIdempotencyEngine({ store: createRedisStore({ redis: bench.connect(), prefix: 'bench:pg:' }) });
  const run = Date.now().toString(36);
  const keyed = (
    engine: typeof onPostgres,
    key: string,
    body: (context: { tx<C>(): Promise<C> }) => Promise<unknown>,
  ) => engine.execute({ scope: 'user-1', operation: operationName, key, input: paymentInput, run: body });
  const firstOnPostgres = (i: number) =>
    keyed(onPostgres, `${run}:pg:${i}`, async (context) =>
      insertPaymentOn(await context.tx<pg.PoolClient>(), paymentInput),
    );
  const firstOnRedis = (i: number) => keyed(onRedis, `${run}:redis:${i}`, () => insertPaymentRow(pool, paymentInput));
  const bare = () => insertPaymentRow(pool, paymentInput);
  await firstOnPostgres(-1);
  await firstOnRedis(-1);
  const replayOnPostgres = () => keyed(onPostgres, `${run}:pg:-1`, () => Promise.reject(new Error('must replay')));
  const replayOnRedis = () => keyed(onRedis, `${run}:redis:-1`, () => Promise.reject(new Error('must replay')));

  const roundTrips = async (call: () => Promise<unknown>) => {
    const original = pg.Client.prototype.query;
    let calls = 0;
    pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
      calls += 1;
      return (original as (...given: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await call();
    } finally {
      pg.Client.prototype.query = original;
    }
    return calls;
  };
  const trips = {
    'first execution, PostgreSQL store': await roundTrips(() => firstOnPostgres(-2)),
    'replay, PostgreSQL store': await roundTrips(replayOnPostgres),
    'first execution, no idempotency (PostgreSQL only)': await roundTrips(bare),
    'first execution, Redis store (PostgreSQL only)': await roundTrips(() => firstOnRedis(-2)),
  };

  const latencies = await alternatingLatencies(
    { bare, firstOnRedis, firstOnPostgres, replayOnRedis, replayOnPostgres },
    { rounds: 5, perRound: 300 },
  );
  await postgres.truncate();
  await pool.query('TRUNCATE bench_idempotency.records');
  pgStore.close();
  await pool.end();
  await postgres.close();

  const medians = (name: keyof typeof latencies) => latencies[name].rounds.map((round) => round.p50);
  // Throughput ratios: baseline latency ÷ contender latency, round by round.
  const versusBare = (name: keyof typeof latencies) => ratioStats(perRound(medians('bare'), medians(name)));
  const first = versusBare('firstOnPostgres');
  const redisFirst = versusBare('firstOnRedis');
  const replay = versusBare('replayOnPostgres');
  const findings = [
    againstGoal(
      { benchmark: TITLE, case: 'first execution vs no idempotency', result: ratioSpread(first) },
      first.median,
      '>=',
      0.9,
    ),
    { benchmark: TITLE, case: 'Redis store first execution vs no idempotency', result: ratioSpread(redisFirst) },
    againstGoal(
      { benchmark: TITLE, case: 'replay vs no idempotency', result: ratioSpread(replay) },
      replay.median,
      '>=',
      1.5,
    ),
    ...Object.entries(trips).map(([name, value]) => ({
      benchmark: TITLE,
      case: `PostgreSQL round trips, ${name}`,
      result: String(value),
    })),
  ];
  const details = [
    `Sequential calls through the engine (no HTTP), ${PG_TABLE} on ${postgres.description}; ratios are operations per second against no idempotency (\`BEGIN; INSERT; COMMIT\`), median p50 of 5 alternating rounds of 300.`,
    '',
    markdownTable(
      ['contender', 'p50 µs', 'ratio vs none', 'per round'],
      [
        ['no idempotency', latencies.bare.p50.toFixed(0), '1.00×', ''],
        [
          'Redis store, first execution',
          latencies.firstOnRedis.p50.toFixed(0),
          ratioSpread(redisFirst),
          roundList(redisFirst),
        ],
        [
          'PostgreSQL store, first execution',
          latencies.firstOnPostgres.p50.toFixed(0),
          ratioSpread(first),
          roundList(first),
        ],
        ['Redis store, replay', latencies.replayOnRedis.p50.toFixed(0), ratioSpread(versusBare('replayOnRedis')), ''],
        ['PostgreSQL store, replay', latencies.replayOnPostgres.p50.toFixed(0), ratioSpread(replay), roundList(replay)],
      ],
    ),
    '',
    markdownTable(['PostgreSQL round trips', 'count'], Object.entries(trips)),
  ].join('\n');
  return { title: TITLE, findings, details, data: { latencies, trips } };
}
