/**
 * A quick A/B of the engine against the floor implementation on the memory store (engine CPU only),
 * for measuring one change at a time: `npm run build && npx tsx bench/profile/engine-vs-floor.ts [rounds]`.
 * Alternating rounds of 3,000 sequential replays and first executions per contender; prints p50s,
 * means and the ratios to the floor. `npm run bench` measures the same rows in full.
 */
import { createIdempotencyEngine, createMemoryStore } from '../support/library.js';
import { createMemoryFloor } from '../support/floor.js';
import { operationName, paymentInput, storedPayment } from '../support/fixture.js';
import { alternatingLatencies } from '../support/measure.js';

const engine = createIdempotencyEngine({ store: createMemoryStore() });
const firstEngine = createIdempotencyEngine({
  store: createMemoryStore({ maxRecords: 1e7, maxRecordsPerScope: 1e7, maxBytes: 2 ** 40, maxBytesPerScope: 2 ** 40 }),
});
const floor = createMemoryFloor();
const firstFloor = createMemoryFloor();
const run = async () => storedPayment;
const req = (key: string) => ({ scope: 'user-1', operation: operationName, key, input: paymentInput, run });
const latency = await alternatingLatencies(
  {
    replay: () => engine.execute(req('r')),
    floorReplay: () => floor.execute(req('r')),
    first: (i: number) => firstEngine.execute(req(`f-${i}`)),
    floorFirst: (i: number) => firstFloor.execute(req(`f-${i}`)),
  },
  { rounds: Number(process.argv[2] ?? 8), perRound: 3000 },
);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r = (a: keyof typeof latency, b: keyof typeof latency) =>
  med(latency[a].rounds.map((x, i) => x.mean / latency[b].rounds[i]!.mean));
console.log(
  `replay mean ${latency.replay.mean.toFixed(2)} vs ${latency.floorReplay.mean.toFixed(2)} p50 ${latency.replay.p50.toFixed(2)} vs ${latency.floorReplay.p50.toFixed(2)} ratio(mean/round) ${r('replay', 'floorReplay').toFixed(2)} p50ratio ${(latency.replay.p50 / latency.floorReplay.p50).toFixed(2)}`,
);
console.log(
  `first  mean ${latency.first.mean.toFixed(2)} vs ${latency.floorFirst.mean.toFixed(2)} p50 ${latency.first.p50.toFixed(2)} vs ${latency.floorFirst.p50.toFixed(2)} ratio(mean/round) ${r('first', 'floorFirst').toFixed(2)} p50ratio ${(latency.first.p50 / latency.floorFirst.p50).toFixed(2)}`,
);
