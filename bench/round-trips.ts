/**
 * Redis round trips per request, counted by Redis itself (MONITOR): a first execution, a
 * replay and a concurrent conflict through the engine with the Redis store.
 */
import { createIdempotencyEngine, IdempotencyConcurrentRequestError } from './support/library.js';
import { createRedisStore } from './support/library.js';
import { operationName, paymentInput } from './support/fixture.js';
import { countCommands, type BenchRedis, type CommandCount } from './support/redis.js';
import { againstGoal, markdownTable, type Section } from './support/report.js';

export async function roundTrips(bench: BenchRedis): Promise<Section> {
  const engine = createIdempotencyEngine({ store: createRedisStore({ redis: bench.connect(), prefix: 'bench:rt:' }) });
  const request = (key: string, run: () => Promise<unknown> = async () => ({ ok: true })) =>
    engine.execute({ scope: 'user-1', operation: operationName, key, input: paymentInput, run });

  await request('warm-up'); // loads the scripts (EVALSHA → NOSCRIPT → EVAL happens once per connection)
  const first = await countCommands(bench, () => request('key-1'));
  const replay = await countCommands(bench, () => request('key-1'));

  let enter: () => void = () => {};
  let leave: () => void = () => {};
  const entered = new Promise<void>((resolve) => (enter = resolve));
  const running = request('key-2', () => new Promise((resolve) => ((leave = () => resolve(null)), enter())));
  await entered;
  const conflict = await countCommands(bench, async () => {
    const error = await request('key-2').catch((caught: unknown) => caught);
    if (!(error instanceof IdempotencyConcurrentRequestError))
      throw new Error('expected a concurrent-request rejection');
  });
  leave();
  await running;

  const cases: [string, CommandCount, number][] = [
    ['replay', replay, 1],
    ['first execution', first, 2],
    ['conflict (409)', conflict, 1],
  ];
  return {
    title: 'Redis round trips per request',
    findings: cases.map(([name, counted, target]) =>
      againstGoal(
        { benchmark: 'Round trips', case: name, result: `${counted.roundTrips} (${counted.sent.join(', ')})` },
        counted.roundTrips,
        '<=',
        target,
        '',
      ),
    ),
    details: markdownTable(
      ['case', 'round trips', 'commands sent', 'commands Redis ran (incl. inside Lua)', 'target'],
      cases.map(([name, counted, target]) => [
        name,
        counted.roundTrips,
        counted.sent.join(', '),
        counted.executed,
        target,
      ]),
    ),
    data: Object.fromEntries(cases.map(([name, counted]) => [name, counted])),
  };
}
