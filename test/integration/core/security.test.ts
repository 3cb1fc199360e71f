import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine, type IdempotencyEvent } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

const redis = connectRedis();
const TTL_MS = 60_000;

function setUp() {
  const prefix = uniquePrefix('security');
  const events: IdempotencyEvent[] = [];
  const engine = createIdempotencyEngine({
    store: createRedisStore({ redis, prefix }),
    ttl: TTL_MS,
    maxRunTime: 30_000, // ttl must be at least maxRunTime + lease (10 s)
    onEvent: (event) => events.push(event),
  });
  return { prefix, engine, events };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (let cursor = '0'; ;) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
    if (cursor === '0') return found.sort();
  }
}

const secrets = {
  user: 'alice@example.com',
  key: 'idem-key-7f3c-secret',
  authorization: 'Bearer sk_live_51HyperSecretToken',
  cardNumber: '4242424242424242',
};
const input = { card: secrets.cardNumber, headers: { authorization: secrets.authorization } };

describe('scope isolation', () => {
  it('never replays one scope’s result to another scope, operation or anonymous caller', async () => {
    const { engine } = setUp();
    let runs = 0;
    const execute = (scope: string | null, operation: string) =>
      engine.execute({
        scope,
        operation,
        key: 'shared-key',
        input: { amount: 1 },
        run: async () => ({ scope, operation, run: ++runs }),
      });
    const callers: [string | null, string][] = [
      ['alice', 'pay'],
      ['bob', 'pay'],
      ['alice', 'refund'],
      [null, 'pay'],
      ['null', 'pay'],
      // Naive "scope:operation" concatenation would make these two the same record.
      ['a:b', 'c'],
      ['a', 'b:c'],
    ];

    const first = [];
    for (const [scope, operation] of callers) first.push(await execute(scope, operation));
    const again = [];
    for (const [scope, operation] of callers) again.push(await execute(scope, operation));

    expect(runs).toBe(callers.length);
    expect(first.map((outcome) => outcome.replayed)).toEqual(callers.map(() => false));
    expect(again.map((outcome) => outcome.value)).toEqual(
      callers.map(([scope, operation], index) => ({ scope, operation, run: index + 1 })),
    );
    expect(again.every((outcome) => outcome.replayed)).toBe(true);
  });
});

describe('what Redis holds', () => {
  it('names records by hash only: no raw key, user id or input in any key name', async () => {
    const { prefix, engine } = setUp();
    await engine.execute({ scope: secrets.user, operation: 'pay', key: secrets.key, input, run: async () => 'paid' });

    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{[0-9a-f]{64}\\}$`));
    for (const secret of Object.values(secrets)) expect(keys[0]).not.toContain(secret);
  });

  it('stores only state, fingerprint hash, fence and result: no input, headers or credentials, while running or after', async () => {
    const { prefix, engine, events } = setUp();
    let whileRunning: Record<string, string> = {};
    await engine.execute({
      scope: secrets.user,
      operation: 'pay',
      key: secrets.key,
      input,
      run: async () => {
        whileRunning = await redis.hgetall((await keysUnder(prefix))[0]!);
        return { receipt: 'r-1' };
      },
    });
    const done = await redis.hgetall((await keysUnder(prefix))[0]!);

    expect(Object.keys(whileRunning).sort()).toEqual(['fence', 'fp', 'lease', 'owner', 'state', 'tk']);
    expect(whileRunning.owner).toMatch(/^[0-9a-f-]{36}$/);
    expect(whileRunning.tk).toBe('0');
    // The owner token stays on the done record, so a complete re-sent by its owner answers as the first did.
    expect(Object.keys(done).sort()).toEqual(['fence', 'fp', 'owner', 'result', 'state']);
    expect(done.owner).toBe(whileRunning.owner);
    expect(done.fp).toMatch(/^[0-9a-f]{64}$/);
    expect(done).toMatchObject({ state: 'done', fence: '1', result: JSON.stringify({ json: { receipt: 'r-1' } }) });
    const everything = JSON.stringify([whileRunning, done, events]);
    for (const secret of Object.values(secrets)) expect(everything).not.toContain(secret);
  });

  it('sets a TTL on every record: running, done and released', async () => {
    const { prefix, engine } = setUp();
    let runningTtl = 0;
    await engine.execute({
      scope: 'u',
      operation: 'pay',
      key: 'done',
      input: {},
      run: async () => {
        runningTtl = await redis.pttl((await keysUnder(prefix))[0]!);
      },
    });
    await expect(
      engine.execute({
        scope: 'u',
        operation: 'pay',
        key: 'released',
        input: {},
        run: () => Promise.reject(new Error('boom')),
      }),
    ).rejects.toThrow('boom');

    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(2);
    const states = await Promise.all(keys.map((key) => redis.hget(key, 'state')));
    expect(states.sort()).toEqual(['done', 'free']);
    const ttls = [runningTtl, ...(await Promise.all(keys.map((key) => redis.pttl(key))))];
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(TTL_MS);
    }
  });
});
