/**
 * Hostile input at both adapters, over real HTTP (node:http with raw headers and bodies, so a
 * header can be sent twice): random and malformed keys in the header and the argument, huge and
 * deeply nested inputs, malformed bodies. Every answer is a 200 or a documented 4xx (400 / 409 /
 * 422), never a 500; the body runs exactly as often as the semantics table says (counted in Redis);
 * no unhandled rejection; the memory store stays within maxRecords and RSS growth is bounded.
 * Each property run uses a fresh scope (`x-user`), so runs are independent and shrink cleanly.
 */
import { Agent } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatKeyHeader } from '../../../src/core/client-key.js';
import { resolveKey } from '../../../src/core/key.js';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startApp, type RunningApp } from '../../support/servers/charge-app/app.js';
import { ALL_RUNS, runsKey } from '../../support/servers/charge-app/ledger.js';
import { documentedStatus, type Outcome } from '../../support/servers/charge-app/outcomes.js';
import { graphqlTarget, trpcTarget, type Target } from '../../support/servers/charge-app/targets.js';

const REDIS_MAX_KEY_LENGTH = 100;
const REDIS_MAX_RESULT_BYTES = 2_048;
const DEFAULT_MAX_KEY_LENGTH = 255;
/** Room for every key the fuzzing sends: a full memory store refuses new keys with 503 (test/stores/memory.test.ts shows that bound). */
const MEMORY_MAX_RECORDS = 20_000;
/** The inputs sent add up to hundreds of MB: keeping them (or results built from them) would exceed this. */
const HEAP_GROWTH_BOUND = 64 * 1024 * 1024;
/** Generous: RSS also holds memory V8 has not handed back yet. */
const RSS_GROWTH_BOUND = 1536 * 1024 * 1024;
/** What a hostile request may get: success or a documented client error. */
const ALLOWED_STATUSES = [200, 400, 409, 422];
/** Per property (hundreds of real HTTP requests, some of megabytes): generous, so a busy 2-CPU machine slows it without failing it. */
const PROPERTY_TIMEOUT_MS = 300_000;
/** The Redis store's command timeout: a loaded machine must not turn a slow Redis reply into a 503 this test does not expect. */
const STORE_TIMEOUT_MS = 15_000;

const redis = connectRedis();
const prefix = uniquePrefix('hostile');
const memoryStore = createMemoryStore({ maxRecords: MEMORY_MAX_RECORDS, maxRecordsPerScope: MEMORY_MAX_RECORDS });
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
const apps: RunningApp[] = [];
/** Both adapters on the Redis store with maxKeyLength 100 and maxResultBytes 2048. */
let onRedis: Target[] = [];
/** Both adapters on the memory store with the default limits. */
let inMemory: Target[] = [];
let memoryBefore: NodeJS.MemoryUsage;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  const redisApp = await startApp({
    redis,
    prefix,
    server: 'redis-app',
    idempotency: {
      store: createRedisStore({ redis, prefix, timeout: STORE_TIMEOUT_MS }),
      maxKeyLength: REDIS_MAX_KEY_LENGTH,
      maxResultBytes: REDIS_MAX_RESULT_BYTES,
    },
  });
  const memoryApp = await startApp({ redis, prefix, server: 'memory-app', idempotency: { store: memoryStore } });
  apps.push(redisApp, memoryApp);
  onRedis = [
    graphqlTarget('GraphQL Yoga, Redis store', redisApp, agent, REDIS_MAX_KEY_LENGTH),
    trpcTarget('tRPC, Redis store', redisApp, agent, REDIS_MAX_KEY_LENGTH),
  ];
  inMemory = [
    graphqlTarget('GraphQL Yoga, memory store', memoryApp, agent, DEFAULT_MAX_KEY_LENGTH),
    trpcTarget('tRPC, memory store', memoryApp, agent, DEFAULT_MAX_KEY_LENGTH),
  ];
  memoryBefore = settledMemory();
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  agent.destroy();
  await Promise.all(apps.map((app) => app.close()));
});

/**
 * Memory use after a full garbage collection. Vitest starts workers without --expose-gc, so the
 * flag is set at run time and `gc` taken from a fresh context, as Jest's --detectLeaks does.
 */
function settledMemory(): NodeJS.MemoryUsage {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage();
}

let scopes = 0;
/** A scope no earlier request used, as the raw `x-user` header pair. */
const freshScope = () => ['x-user', `scope-${++scopes}`];

type Counted = Outcome & { ran: number };

/** Sends one request; returns its outcome and how many times a mutation body ran meanwhile (counted in Redis). */
async function counted(send: () => Promise<Outcome>): Promise<Counted> {
  const runs = async () => Number((await redis.hget(runsKey(prefix), ALL_RUNS)) ?? 0);
  const before = await runs();
  const outcome = await send();
  return { ...outcome, ran: (await runs()) - before };
}

/** A 200 or a documented 4xx; a typed error has the status the semantics table gives its code; a refusal ran nothing. */
function expectDocumented(outcome: Counted): void {
  expect(ALLOWED_STATUSES).toContain(outcome.status);
  if (outcome.idempotencyError)
    expect(outcome.status).toBe(documentedStatus[outcome.code as keyof typeof documentedStatus]);
  if (outcome.status !== 200) expect(outcome.ran).toBe(0);
  expect(outcome.ran).toBeLessThanOrEqual(1);
}

type ExpectedKey = string | undefined | 'invalid';

/**
 * The key a request has by the semantics table: a string, none, or `'invalid'` (400). A header sent
 * twice is invalid whatever its values, even when Node's joined form (`"a` + `b"` → `"a, b"`) would
 * be one valid string: the adapters read Node's distinct header values.
 */
function expectedKey(sources: { header?: readonly string[]; argument?: unknown }, maxKeyLength: number): ExpectedKey {
  if (sources.header && sources.header.length > 1) return 'invalid';
  try {
    return resolveKey({ header: sources.header, argument: sources.argument }, maxKeyLength);
  } catch {
    return 'invalid';
  }
}

/** The records of one scope, as the semantics table says they are: by key, the input (as sent) and the value. */
type Model = Map<string, { input: string; value: unknown }>;

/** First use of a key runs once; a repeat with the same input (key argument included) replays; other input is a 422; a bad key a 400. */
function expectModelled(
  model: Model,
  key: ExpectedKey,
  fields: { amount: number; idempotencyKey?: unknown },
  outcome: Counted,
): void {
  expectDocumented(outcome);
  if (key === 'invalid') {
    expect(outcome).toMatchObject({ status: 400, code: 'IDEMPOTENCY_KEY_INVALID', ran: 0 });
    return;
  }
  if (key === undefined) {
    expect(outcome).toMatchObject({ status: 200, replayed: false, ran: 1 });
    return;
  }
  const input = JSON.stringify(fields);
  const stored = model.get(key);
  if (!stored) {
    expect(outcome).toMatchObject({ status: 200, replayed: false, ran: 1 });
    // The fence is 1 unless an earlier request claimed and released the key (GraphQL refusing its variables).
    expect(chargeIn(outcome)).toMatchObject({ key, amount: fields.amount, fence: expect.any(Number) });
    model.set(key, { input, value: outcome.value });
  } else if (stored.input === input) {
    expect(outcome).toMatchObject({ status: 200, replayed: true, ran: 0, value: stored.value });
  } else {
    expect(outcome).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH', ran: 0 });
  }
}

/** The charge in a success, for either adapter (GraphQL nests it under `charge`). */
const chargeIn = (outcome: Outcome) => (outcome.value as { charge?: unknown }).charge ?? outcome.value;
const keyHeaders = (values: readonly string[]) => values.flatMap((value) => ['Idempotency-Key', value]);

const chars = (from: number, to: number) => fc.integer({ min: from, max: to }).map((code) => String.fromCharCode(code));
const printable = chars(0x20, 0x7e);
/** Characters node:http lets a client put in a header value (tab, visible ASCII, space, obs-text), structural ones favoured. */
const headerChar = fc.oneof(
  fc.constantFrom('"', ',', '\\', ' ', '\t', ';', '=', '*', ':', '\xa0'),
  chars(0x21, 0x7e),
  chars(0x80, 0xff),
);
const headerValue = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 12 }),
  fc.string({ unit: headerChar, minLength: 90, maxLength: 400 }),
  fc.string({ unit: headerChar, maxLength: 12 }).map((inner) => `"${inner}"`),
  fc.string({ unit: printable, minLength: 1, maxLength: 12 }).map(formatKeyHeader),
  fc.string({ unit: printable, minLength: 95, maxLength: 260 }).map(formatKeyHeader),
);
const keyArgument = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 3, arbitrary: fc.string({ unit: printable, minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: printable, minLength: 95, maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: chars(0, 0x1f), minLength: 1, maxLength: 4 }) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.string()),
    ),
  },
);
/** A few requests in one scope, each picking a value from a small pool, so keys repeat: replays and 422s. */
const sequence = <T>(values: fc.Arbitrary<T>) =>
  fc.record({
    pool: fc.array(values, { minLength: 1, maxLength: 2 }),
    requests: fc.array(
      fc.record({
        pick: fc.nat(),
        amount: fc.integer({ min: 1, max: 2 }),
        twice: fc.nat({ max: 4 }).map((n) => n === 0),
      }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  });

/** Nested `depth` levels deep, as JSON text (JSON.stringify itself would overflow the stack first). */
const nested = (depth: number, open: '[' | '{"a":') =>
  `${open.repeat(depth)}0${(open === '[' ? ']' : '}').repeat(depth)}`;
/** Deep nesting is weighted low: overflowing the stack on the way to a 400 costs a few hundred ms a request. */
const hostileMemo = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((value) => JSON.stringify(value)) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        depth: fc.oneof(fc.integer({ min: 1, max: 3_000 }), fc.constantFrom(10_000, 100_000)),
        open: fc.constantFrom('[' as const, '{"a":' as const),
      })
      .map(({ depth, open }) => nested(depth, open)),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        length: fc.integer({ min: 1, max: 2_000_000 }),
        char: fc.constantFrom('x', 'é', '\u{1F4A5}', '"', '\u0000'),
      })
      .map(({ length, char }) => JSON.stringify(char.repeat(length))),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 50_000 })
      .map((length) => JSON.stringify(Array.from({ length }, (_, index) => index))),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '1e400',
      '-1e400',
      '"\\ud800"',
      '{"__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"":null}',
    ),
  },
);
const validBodies = [
  `{"query":${JSON.stringify('mutation { charge(amount: 1) { key run } }')}}`,
  JSON.stringify({ json: { amount: 1 } }),
];
const malformedBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc
    .record({ query: fc.oneof(fc.string(), fc.jsonValue()), variables: fc.jsonValue(), operationName: fc.jsonValue() })
    .map((body) => JSON.stringify(body)),
  fc
    .record({
      json: fc.jsonValue(),
      meta: fc.oneof(
        fc.jsonValue(),
        fc.record({ values: fc.jsonValue(), referentialEqualities: fc.jsonValue(), v: fc.jsonValue() }),
      ),
    })
    .map((body) => JSON.stringify(body)),
  fc
    .record({
      json: fc.record({ amount: fc.constant(1) }),
      meta: fc.record({
        values: fc.dictionary(fc.constantFrom('amount', '__proto__', 'constructor', 'a.b'), fc.jsonValue()),
      }),
    })
    .map((body) => JSON.stringify(body)),
  fc.tuple(fc.constantFrom(...validBodies), fc.nat()).map(([body, cut]) => body.slice(0, cut % body.length)),
);

const allTargets = () => [...onRedis, ...inMemory];

describe('documented limits and corner cases at both adapters (real HTTP)', () => {
  it('a key of maxKeyLength characters runs; one more is 400 IDEMPOTENCY_KEY_INVALID, in the header and in the argument', async () => {
    for (const target of allTargets()) {
      const longest = 'k'.repeat(target.maxKeyLength);
      const tooLong = `${longest}x`;
      const scope = freshScope();
      expect(
        await counted(() => target.charge({ amount: 1 }, [...scope, ...keyHeaders([formatKeyHeader(longest)])])),
      ).toMatchObject({ status: 200, ran: 1 });
      expect(
        await counted(() => target.charge({ amount: 1 }, [...scope, ...keyHeaders([formatKeyHeader(tooLong)])])),
      ).toMatchObject({
        status: 400,
        code: 'IDEMPOTENCY_KEY_INVALID',
        ran: 0,
      });
      expect(await counted(() => target.charge({ amount: 1, idempotencyKey: tooLong }, scope))).toMatchObject({
        status: 400,
        code: 'IDEMPOTENCY_KEY_INVALID',
        ran: 0,
      });
    }
  });

  it('a result over maxResultBytes is returned once; its repeat gets 500 IDEMPOTENCY_RESULT_NOT_STORED and does not run', async () => {
    for (const target of onRedis) {
      const headers = [...freshScope(), ...keyHeaders([formatKeyHeader('large-report')])];
      const first = await counted(() => target.report(REDIS_MAX_RESULT_BYTES * 2, headers));
      expect(first).toMatchObject({ status: 200, replayed: false, ran: 1 });
      expect(JSON.stringify(first.value)).toContain('x'.repeat(REDIS_MAX_RESULT_BYTES * 2));
      const repeat = await counted(() => target.report(REDIS_MAX_RESULT_BYTES * 2, headers));
      expect(repeat).toMatchObject({
        status: 500,
        code: 'IDEMPOTENCY_RESULT_NOT_STORED',
        idempotencyError: true,
        ran: 0,
      });

      const small = [...freshScope(), ...keyHeaders([formatKeyHeader('small-report')])];
      const stored = await counted(() => target.report(100, small));
      expect(await counted(() => target.report(100, small))).toMatchObject({
        status: 200,
        replayed: true,
        value: stored.value,
        ran: 0,
      });
    }
  });

  it.each([
    ['sent twice, different values', ['"a"', '"b"']],
    ['sent twice, the same value', ['"a"', '"a"']],
    ['sent twice, bare', ['a', 'a']],
    ['sent twice, forming one valid string once joined', ['"a', 'b"']],
    ['padded with NBSP', ['\xa0abc']],
    ['obs-text inside quotes', ['"caf\xe9"']],
    ['a comma (two values joined)', ['a,b']],
    ['an unterminated string', ['"abc']],
    ['empty', ['']],
  ])('a header %s is 400 IDEMPOTENCY_KEY_INVALID and runs nothing', async (_, values) => {
    for (const target of allTargets()) {
      expect(await counted(() => target.charge({ amount: 1 }, [...freshScope(), ...keyHeaders(values)]))).toMatchObject(
        {
          status: 400,
          code: 'IDEMPOTENCY_KEY_INVALID',
          ran: 0,
        },
      );
    }
  });
});

describe('fuzzing both adapters over real HTTP (fast-check)', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('random, malformed and duplicated Idempotency-Key headers: answered as the semantics table says, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...allTargets()), sequence(headerValue), async (target, { pool, requests }) => {
        const scope = freshScope();
        const model: Model = new Map();
        for (const { pick, amount, twice } of requests) {
          const values = twice
            ? [pool[pick % pool.length]!, pool[(pick + 1) % pool.length]!]
            : [pool[pick % pool.length]!];
          const outcome = await counted(() => target.charge({ amount }, [...scope, ...keyHeaders(values)]));
          expectModelled(model, expectedKey({ header: values }, target.maxKeyLength), { amount }, outcome);
        }
      }),
      { numRuns: 600 },
    );
    expect(unhandled).toEqual([]);
  });

  it('random key arguments (any unicode, control characters, huge, non-strings), with or without a header: as the table says', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...allTargets()),
        sequence(keyArgument),
        fc.constantFrom('none', 'same', 'other'),
        async (target, { pool, requests }, headerChoice) => {
          const scope = freshScope();
          const model: Model = new Map();
          for (const { pick, amount } of requests) {
            const argument: unknown = JSON.parse(JSON.stringify(pool[pick % pool.length])); // as the server receives it (NaN → null, …)
            const header =
              headerChoice === 'other'
                ? [formatKeyHeader('from-the-header')]
                : headerChoice === 'same' && typeof argument === 'string' && /^[\x20-\x7e]*$/.test(argument)
                  ? [formatKeyHeader(argument)]
                  : [];
            const fields = { amount, idempotencyKey: argument };
            const outcome = await counted(() => target.charge(fields, [...scope, ...keyHeaders(header)]));
            if (target.name.startsWith('GraphQL') && typeof argument !== 'string' && argument !== null) {
              // Not a String, so the key comes from the header alone: a key stored with other variables is a 422;
              // otherwise GraphQL refuses the variables (400) and a claimed header key is released.
              expectDocumented(outcome);
              const storedWithOtherInput = header.length > 0 && model.has('from-the-header');
              expect(outcome).toMatchObject(
                storedWithOtherInput
                  ? { status: 422, code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH', ran: 0 }
                  : { status: 400, ran: 0 },
              );
              continue;
            }
            expectModelled(model, expectedKey({ header, argument }, target.maxKeyLength), fields, outcome);
          }
        },
      ),
      { numRuns: 600 },
    );
    expect(unhandled).toEqual([]);
  });

  it('huge, deeply nested and odd inputs: run once or refused as 400 IDEMPOTENCY_INPUT_INVALID; the repeat gets the same answer', async () => {
    let keys = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...allTargets()), hostileMemo, async (target, memoJson) => {
        const headers = [...freshScope(), ...keyHeaders([formatKeyHeader(`input-${++keys}`)])];
        const first = await counted(() => target.charge({ amount: 5 }, headers, memoJson));
        expectDocumented(first);
        if (first.status === 200) expect(first).toMatchObject({ replayed: false, ran: 1 });
        else expect(first).toMatchObject({ status: 400, code: 'IDEMPOTENCY_INPUT_INVALID', ran: 0 });
        const repeat = await counted(() => target.charge({ amount: 5 }, headers, memoJson));
        expect(repeat).toMatchObject({
          status: first.status,
          code: first.code,
          replayed: first.status === 200,
          value: first.value,
          ran: 0,
        });
        expect(memoryStore.size).toBeLessThanOrEqual(MEMORY_MAX_RECORDS);
      }),
      { numRuns: 300 },
    );
    expect(unhandled).toEqual([]);
  });

  it('malformed bodies (any text, any JSON, wrong shapes, truncated, tampered superjson meta): 200 or a documented 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...allTargets()),
        malformedBody,
        fc.option(fc.string({ unit: printable, minLength: 1, maxLength: 8 }).map(formatKeyHeader)),
        async (target, body, header) => {
          expectDocumented(
            await counted(() => target.raw(body, [...freshScope(), ...keyHeaders(header === null ? [] : [header])])),
          );
        },
      ),
      { numRuns: 1_000 },
    );
    expect(unhandled).toEqual([]);
    expect(memoryStore.size).toBeLessThanOrEqual(MEMORY_MAX_RECORDS);
    const after = settledMemory();
    expect(after.heapUsed - memoryBefore.heapUsed).toBeLessThan(HEAP_GROWTH_BOUND);
    expect(after.rss - memoryBefore.rss).toBeLessThan(RSS_GROWTH_BOUND);
  });
});
