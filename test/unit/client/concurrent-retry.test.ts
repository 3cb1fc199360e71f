// Issue #18 ("Clients that give up on 409"): the one budget the Apollo Client link and the urql
// exchange share to ride out IDEMPOTENCY_CONCURRENT_REQUEST.
import { describe, expect, it } from 'vitest';
import {
  ConcurrentRetryBudget,
  concurrentRetrySettings,
  isConcurrentRefusal,
} from '../../../src/client/concurrent-retry.js';

const REFUSAL = [{ message: 'still running', extensions: { code: 'IDEMPOTENCY_CONCURRENT_REQUEST' } }];
const retryAfter = (value: string) => new Headers({ 'Retry-After': value });
const budget = (options = {}) => new ConcurrentRetryBudget(concurrentRetrySettings(options), () => 0.5);

describe('isConcurrentRefusal', () => {
  it('recognises the code in the first error only', () => {
    expect(isConcurrentRefusal(REFUSAL)).toBe(true);
    expect(isConcurrentRefusal([{ message: 'x', extensions: { code: 'IDEMPOTENCY_KEY_MISMATCH' } }])).toBe(false);
    expect(isConcurrentRefusal(undefined)).toBe(false);
    expect(isConcurrentRefusal([])).toBe(false);
    expect(isConcurrentRefusal([null])).toBe(false);
    expect(isConcurrentRefusal('IDEMPOTENCY_CONCURRENT_REQUEST')).toBe(false);
  });
});

describe('ConcurrentRetryBudget', () => {
  it('waits the Retry-After header, capped at maxDelay', () => {
    expect(budget().waitAfter(REFUSAL, retryAfter('1'))).toBe(1_000);
    expect(budget().waitAfter(REFUSAL, retryAfter('60'))).toBe(5_000);
    expect(budget({ maxDelay: 60_000, maxTotalWait: 60_000 }).waitAfter(REFUSAL, retryAfter('60'))).toBe(60_000);
  });

  it('reads retryAfter or http.headers from the extensions when the header cannot be read (CORS)', () => {
    const inExtensions = [{ extensions: { code: 'IDEMPOTENCY_CONCURRENT_REQUEST', retryAfter: 2 } }];
    const inHttp = [
      {
        extensions: { code: 'IDEMPOTENCY_CONCURRENT_REQUEST', http: { status: 409, headers: { 'retry-after': '3' } } },
      },
    ];
    expect(budget().waitAfter(inExtensions, new Headers())).toBe(2_000);
    expect(budget().waitAfter(inHttp, null)).toBe(3_000);
  });

  it('falls back to jittered backoff from baseDelay when no Retry-After is readable', () => {
    const waits = budget({ baseDelay: 100 });
    expect([waits.waitAfter(REFUSAL), waits.waitAfter(REFUSAL), waits.waitAfter(REFUSAL)]).toEqual([50, 100, 200]);
  });

  it('answers undefined for anything that is not a refusal, without spending the budget', () => {
    const waits = budget({ retries: 1 });
    expect(waits.waitAfter(undefined, retryAfter('1'))).toBeUndefined();
    expect(waits.waitAfter([{ extensions: { code: 'BAD_USER_INPUT' } }], retryAfter('1'))).toBeUndefined();
    expect(waits.waitAfter(REFUSAL, retryAfter('1'))).toBe(1_000);
  });

  it('stops after `retries` re-sends', () => {
    const waits = budget({ retries: 2 });
    expect([1, 2, 3].map(() => waits.waitAfter(REFUSAL, retryAfter('1')))).toEqual([1_000, 1_000, undefined]);
    expect(budget({ retries: 0 }).waitAfter(REFUSAL, retryAfter('1'))).toBeUndefined();
  });

  it('never starts a wait that would pass maxTotalWait', () => {
    const waits = budget({ maxTotalWait: 2_500 });
    expect([1, 2, 3].map(() => waits.waitAfter(REFUSAL, retryAfter('1')))).toEqual([1_000, 1_000, undefined]);
  });

  it('defaults to 10 re-sends within 15 s', () => {
    const waits = budget();
    const taken = Array.from({ length: 12 }, () => waits.waitAfter(REFUSAL, retryAfter('1')));
    expect(taken.filter((ms) => ms !== undefined)).toHaveLength(10);
    const long = budget();
    expect(Array.from({ length: 5 }, () => long.waitAfter(REFUSAL, retryAfter('5')))).toEqual([
      5_000,
      5_000,
      5_000,
      undefined,
      undefined,
    ]);
  });
});

describe('concurrentRetrySettings', () => {
  it('refuses a negative, fractional (retries) or non-number bound with a TypeError naming the option', () => {
    expect(() => concurrentRetrySettings({ retries: -1 })).toThrow(/retryConcurrent\.retries/);
    expect(() => concurrentRetrySettings({ retries: 1.5 })).toThrow(/retryConcurrent\.retries must be a whole number/);
    expect(() => concurrentRetrySettings({ maxDelay: Number.NaN })).toThrow(/retryConcurrent\.maxDelay/);
    expect(() => concurrentRetrySettings({ maxTotalWait: '10' as never })).toThrow(TypeError);
    expect(() => concurrentRetrySettings(null as never)).toThrow(/retryConcurrent must be false or an object/);
    expect(() => concurrentRetrySettings(true as never)).toThrow(/retryConcurrent must be false or an object/);
    expect(concurrentRetrySettings({ retries: undefined })).toEqual({
      retries: 10,
      maxTotalWait: 15_000,
      maxDelay: 5_000,
      baseDelay: 250,
    });
  });
});
