/**
 * The physical floor: one raw EVALSHA round trip of a trivial script, measured side by side
 * with a replay through the engine and the Redis store (same server, same kind of connection).
 */
import { createIdempotencyEngine, createMemoryStore } from '../src/index.js';
import { fingerprint, recordId } from '../src/index.js';
import { createRedisStore } from '../src/stores/redis.js';
import { BEGIN } from '../src/stores/redis-scripts.js';
import { operationName, paymentInput, type Payment } from './support/fixture.js';
import { alternatingLatencies } from './support/measure.js';
import type { BenchRedis } from './support/redis.js';
import { againstGoal, markdownTable, micros, ratio, type Section } from './support/report.js';

const storedPayment: Payment = { id: 'pay_1', amount: 4200, currency: 'EUR', createdAt: new Date(1_700_000_000_000) };

export async function replayLatency(bench: BenchRedis): Promise<Section> {
  const raw = bench.connect();
  const trivialScript = (await raw.script('LOAD', 'return 1')) as string;
  const beginScript = (await raw.script('LOAD', BEGIN)) as string;
  const redisStore = createRedisStore({ redis: bench.connect(), prefix: 'bench:lat:' });
  const redisEngine = createIdempotencyEngine({ store: redisStore });
  const memoryEngine = createIdempotencyEngine({ store: createMemoryStore() });
  const replayOn = (engine: typeof redisEngine) => () =>
    engine.execute({ scope: 'user-1', operation: operationName, key: 'replayed-key', input: paymentInput, run: async () => storedPayment });
  await replayOn(redisEngine)();
  await replayOn(memoryEngine)();
  const id = recordId('user-1', operationName, 'replayed-key');
  const begin = { id, scopeId: 'bench', fingerprint: await fingerprint(paymentInput), owner: 'bench', leaseMs: 10_000, ttlMs: 86_400_000 };

  const latency = await alternatingLatencies(
    {
      evalsha: () => raw.evalsha(trivialScript, 0),
      beginScript: () => raw.evalsha(beginScript, 1, `bench:lat:{${id}}`, begin.fingerprint, begin.owner, begin.leaseMs, begin.ttlMs),
      storeBegin: () => redisStore.begin(begin),
      replayRedis: replayOn(redisEngine),
      replayMemory: replayOn(memoryEngine),
    },
    { rounds: 10, perRound: 1_000 },
  );
  const multiple = latency.replayRedis.p50 / latency.evalsha.p50;
  const rows: [string, (typeof latency)['evalsha']][] = [
    ['raw EVALSHA `return 1` (floor)', latency.evalsha],
    ['raw EVALSHA of the `begin` script (server-side script cost)', latency.beginScript],
    ['`store.begin()` alone (client wrapper, reply decoding)', latency.storeBegin],
    ['replay through the engine, Redis store', latency.replayRedis],
    ['replay, memory store (engine CPU only)', latency.replayMemory],
  ];
  return {
    title: 'Replay latency vs. the physical floor',
    findings: [
      againstGoal(
        {
          benchmark: 'Replay latency',
          case: 'p50 replay ÷ p50 raw EVALSHA',
          result: `${ratio(multiple)} (${micros(latency.replayRedis.p50)} vs ${micros(latency.evalsha.p50)})`,
        },
        multiple,
        '<=',
        1.5,
      ),
    ],
    details: markdownTable(
      ['sequential, one at a time', 'p50', 'p99', 'mean', '× floor (p50)'],
      rows.map(([name, value]) => [name, micros(value.p50), micros(value.p99), micros(value.mean), ratio(value.p50 / latency.evalsha.p50)]),
    ),
    data: latency,
  };
}
