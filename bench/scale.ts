/**
 * Scale: replay latency and Redis memory per record as live records grow from 10^3 to 10^6
 * (populated with pipelined HSET in the Redis store's own layout), and the memory store at its
 * `maxRecords` bound.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createIdempotencyEngine, createMemoryStore, memoryStoreDefaults, serializer } from '../src/index.js';
import { fingerprint, recordId } from '../src/adapter-kit.js';
import { createRedisStore } from './support/library.js';
import { operationName, paymentInput, type Payment } from './support/fixture.js';
import { sequentialLatencies, summarize, type Latency } from './support/measure.js';
import { usedMemory, type BenchRedis } from './support/redis.js';
import { count, markdownTable, micros, type Finding, type Section } from './support/report.js';

const LEVELS = [1_000, 10_000, 100_000, 1_000_000];
const BATCH = 5_000;
const SAMPLES = 3_000;
const TTL_MS = 86_400_000;
const SCOPE = 'user-1';

const keyOf = (n: number) => `scale-${n}`;
/**
 * Writes one batch of completed records (`HSET` + `PEXPIRE` each) inside Redis: the same records a
 * client pipeline would write, in a fraction of the time (the fill is not what is measured).
 */
const POPULATE = `
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'state', 'done', 'fp', ARGV[1], 'fence', 1, 'result', ARGV[i + 2])
  redis.call('PEXPIRE', key, ARGV[2])
end
return #KEYS
`;
const paymentOf = (n: number): Payment => ({
  id: `pay_${n}`,
  amount: paymentInput.amount,
  currency: paymentInput.currency,
  createdAt: new Date(1_700_000_000_000 + n),
});

interface RedisLevel {
  records: number;
  bytesPerRecord: number;
  replay: Latency;
}

interface MemoryLevel {
  records: number;
  heapBytesPerRecord: number;
  replay: Latency;
  firstExecution: Latency;
}

export async function scale(bench: BenchRedis): Promise<Section> {
  const redisLevels = await redisScale(bench);
  const memoryLevels = await memoryScale();
  const first = redisLevels[0];
  const last = redisLevels.at(-1);
  const findings: Finding[] = [];
  if (first && last) {
    findings.push({
      benchmark: 'Scale (Redis)',
      case: `replay p50 at ${count(last.records)} ÷ at ${count(first.records)} records`,
      result: `${(last.replay.p50 / first.replay.p50).toFixed(2)}× (${micros(last.replay.p50)} vs ${micros(first.replay.p50)})`,
    });
    findings.push({
      benchmark: 'Scale (Redis)',
      case: `used_memory per record at ${count(last.records)}`,
      result: `${count(last.bytesPerRecord)} B`,
    });
  }
  const bound = memoryLevels.at(-1);
  if (bound) {
    findings.push({
      benchmark: 'Scale (memory store)',
      case: `at maxRecords (${count(bound.records)}): heap per record, replay p50`,
      result: `${count(bound.heapBytesPerRecord)} B, ${micros(bound.replay.p50)}`,
    });
  }
  return {
    title: 'Scale: live records vs. latency and memory',
    findings,
    details: [
      `Redis: records in the Redis store's layout (a hash with state, fingerprint, fence and a ${serializer.stringify(paymentOf(0)).length}-byte result, with a TTL), ` +
        `populated with HSET + PEXPIRE in batches of ${count(BATCH)} run by one Lua script each; replay = ${count(SAMPLES)} sequential replays of random existing keys through the engine.`,
      '',
      markdownTable(
        ['records in Redis', 'used_memory per record', 'replay p50', 'replay p99'],
        redisLevels.map((level) => [
          count(level.records),
          `${count(level.bytesPerRecord)} B`,
          micros(level.replay.p50),
          micros(level.replay.p99),
        ]),
      ),
      '',
      `Memory store (default \`maxRecords\` ${count(memoryStoreDefaults.maxRecords)}; the last row is the store full, so every first execution also evicts the oldest record):`,
      '',
      markdownTable(
        ['records held', 'V8 heap per record', 'replay p50', 'first execution p50'],
        memoryLevels.map((level) => [
          count(level.records),
          `${count(level.heapBytesPerRecord)} B`,
          micros(level.replay.p50),
          micros(level.firstExecution.p50),
        ]),
      ),
    ].join('\n'),
    data: { redis: redisLevels, memory: memoryLevels },
  };
}

async function redisScale(bench: BenchRedis): Promise<RedisLevel[]> {
  const redis = bench.connect();
  const prefix = 'bench:scale:';
  const engine = createIdempotencyEngine({ store: createRedisStore({ redis: bench.connect(), prefix }), ttl: TTL_MS });
  const fp = await fingerprint(paymentInput);
  await engine.execute({
    scope: SCOPE,
    operation: operationName,
    key: 'warm-up',
    input: paymentInput,
    run: async () => paymentOf(0),
  });
  const baseline = await usedMemory(redis);
  const levels: RedisLevel[] = [];
  let populated = 0;
  for (const target of LEVELS) {
    for (; populated < target; populated += BATCH) {
      const keys: string[] = [];
      const results: string[] = [];
      for (let n = populated; n < Math.min(target, populated + BATCH); n += 1) {
        keys.push(`${prefix}{${recordId(SCOPE, operationName, keyOf(n))}}`);
        results.push(serializer.stringify(paymentOf(n)));
      }
      await redis.eval(POPULATE, keys.length, ...keys, fp, TTL_MS, ...results);
    }
    populated = target;
    const bytesPerRecord = ((await usedMemory(redis)) - baseline) / target;
    const replay = summarize(
      await sequentialLatencies(SAMPLES, () =>
        engine.execute({
          scope: SCOPE,
          operation: operationName,
          key: keyOf(Math.floor(Math.random() * target)),
          input: paymentInput,
          run: () => Promise.reject(new Error('should replay')),
        }),
      ),
    );
    levels.push({ records: target, bytesPerRecord, replay });
  }
  await redis.flushall();
  return levels;
}

async function memoryScale(): Promise<MemoryLevel[]> {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const levels: MemoryLevel[] = [];
  for (const records of [1_000, memoryStoreDefaults.maxRecords]) {
    // Room for the records plus the first executions measured on top of them (the store never evicts a live record).
    const store = createMemoryStore({ maxRecords: records + SAMPLES, maxRecordsPerScope: records + SAMPLES });
    const engine = createIdempotencyEngine({ store, ttl: TTL_MS });
    const execute = (n: number) =>
      engine.execute({
        scope: SCOPE,
        operation: operationName,
        key: keyOf(n),
        input: paymentInput,
        run: async () => paymentOf(n),
      });
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < records; n += 1) await execute(n);
    collect();
    const heapBytesPerRecord = (process.memoryUsage().heapUsed - before) / records;
    const replay = summarize(await sequentialLatencies(SAMPLES, () => execute(Math.floor(Math.random() * records))));
    const firstExecution = summarize(await sequentialLatencies(SAMPLES, (n) => execute(records + n)));
    levels.push({ records: store.size, heapBytesPerRecord, replay, firstExecution });
  }
  return levels;
}
