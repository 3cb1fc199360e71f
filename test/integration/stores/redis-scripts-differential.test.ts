// Differential fuzz of the Redis store's scripts: the BEGIN rewrite (fewer commands) against the scripts it replaced.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as current from '../../../src/stores/redis-scripts.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import * as previous from './previous-redis-scripts.js';

const redis = connectRedis();
const TTL_MS = 600_000;

/** Both script sets read the clock from a hash the test moves (`s` seconds, `u` microseconds) instead of `TIME`. */
const withClock = (lua: string, clockKey: string) =>
  lua.replaceAll("redis.call('TIME')", `redis.call('HMGET', '${clockKey}', 's', 'u')`);

type Step =
  | { kind: 'begin'; key: number; owner: number; fingerprint: number; leaseMs: number }
  | { kind: 'extend'; key: number; owner: number; leaseMs: number }
  | { kind: 'complete'; key: number; owner: number; result: number }
  | { kind: 'release'; key: number; owner: number }
  | { kind: 'time'; ms: number };

const key = fc.integer({ min: 0, max: 1 });
const owner = fc.integer({ min: 0, max: 2 });
const leaseMs = fc.constantFrom(100, 1_000);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('begin'), key, owner, fingerprint: fc.integer({ min: 0, max: 1 }), leaseMs }),
  fc.record({ kind: fc.constant('extend'), key, owner, leaseMs }),
  fc.record({ kind: fc.constant('complete'), key, owner, result: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant('release'), key, owner }),
  fc.record({ kind: fc.constant('time'), ms: fc.constantFrom(50, 150, 600, 2_000) }),
) as fc.Arbitrary<Step>;

/** One script set on its own keys, with its own clock. */
function scriptSet(scripts: Record<'BEGIN' | 'EXTEND' | 'COMPLETE' | 'RELEASE', string>, label: string) {
  const prefix = uniquePrefix(label);
  const clockKey = `${prefix}clock`;
  const lua = {
    begin: withClock(scripts.BEGIN, clockKey),
    extend: withClock(scripts.EXTEND, clockKey),
    complete: withClock(scripts.COMPLETE, clockKey),
    release: withClock(scripts.RELEASE, clockKey),
  };
  const recordKey = (index: number) => `${prefix}{record-${index}}`;
  return {
    recordKey,
    setClock: (ms: number) => redis.hset(clockKey, 's', Math.floor(ms / 1000), 'u', (ms % 1000) * 1000),
    run(step: Exclude<Step, { kind: 'time' }>): Promise<unknown> {
      const record = recordKey(step.key);
      const who = `owner-${step.owner}`;
      switch (step.kind) {
        case 'begin':
          return redis.eval(lua.begin, 1, record, `fp-${step.fingerprint}`, who, step.leaseMs, TTL_MS);
        case 'extend':
          return redis.eval(lua.extend, 1, record, who, step.leaseMs);
        case 'complete':
          return redis.eval(lua.complete, 1, record, who, `result-${step.result}`, TTL_MS);
        case 'release':
          return redis.eval(lua.release, 1, record, who);
      }
    },
  };
}

describe('the BEGIN rewrite against the scripts it replaced, on real Redis', () => {
  it('gives identical replies and stored hashes for random sequences on two keys, except the takeover flag kept through releases', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40 }), async (steps) => {
        const before = scriptSet(previous, 'differential-previous');
        const after = scriptSet(current, 'differential-current');
        let clock = 1_700_000_000_000;
        await before.setClock(clock);
        await after.setClock(clock);
        /** Per key: whether an earlier attempt took over and no attempt has completed since (the intended difference). */
        const sticky = [false, false];
        for (const current of steps) {
          if (current.kind === 'time') {
            clock += current.ms;
            await before.setClock(clock);
            await after.setClock(clock);
            continue;
          }
          const expected = await before.run(current);
          const actual = await after.run(current);
          if (current.kind === 'begin' && Array.isArray(expected) && expected[0] === 'acquired') {
            const takeover = expected[2] === 1 || sticky[current.key] === true;
            sticky[current.key] = takeover;
            expect(actual).toEqual([expected[0], expected[1], takeover ? 1 : 0]);
          } else {
            expect(actual).toEqual(expected);
          }
          if (current.kind === 'complete' && expected === 1) sticky[current.key] = false;

          for (const index of [0, 1]) {
            const { tk, ...rest } = await redis.hgetall(after.recordKey(index));
            const { tk: previousTk, ...previousRest } = await redis.hgetall(before.recordKey(index));
            expect(rest).toEqual(previousRest);
            if (rest.state === 'running' || rest.state === 'free') expect(tk).toBe(sticky[index] ? '1' : '0');
            else expect([tk, previousTk]).toEqual([undefined, undefined]);
            const [ttl, previousTtl] = [
              await redis.pttl(after.recordKey(index)),
              await redis.pttl(before.recordKey(index)),
            ];
            expect(ttl > 0).toBe(previousTtl > 0);
            expect(Math.max(ttl, previousTtl)).toBeLessThanOrEqual(TTL_MS);
          }
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('makes at most four calls to acquire a new record and reads three fields to replay', () => {
    const calls = (lua: string) => lua.match(/redis\.call\(/g)?.length ?? 0;
    const [read] = current.BEGIN.match(/redis\.call\('HMGET', KEYS\[1\][^)]*\)/) ?? [];
    expect(read).toBe("redis.call('HMGET', KEYS[1], 'state', 'fp', 'result')");
    // read, clock, write, expiry on a new record; the second read (owner, lease, fence, tk) only for an existing one.
    const newRecordPath = current.BEGIN.replace(/if state then[\s\S]*?\nelse/, '');
    expect(calls(newRecordPath)).toBe(4);
  });
});
