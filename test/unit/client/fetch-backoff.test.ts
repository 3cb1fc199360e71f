import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterDelay, sleep } from '../../../src/client/backoff.js';

describe('backoffDelay', () => {
  it('draws up to baseDelay * 2^attempt, capped at maxDelay', () => {
    expect(backoffDelay(0, 100, 5_000, () => 0.5)).toBe(50);
    expect(backoffDelay(3, 100, 5_000, () => 0.5)).toBe(400);
    expect(backoffDelay(10, 100, 5_000, () => 0.5)).toBe(2_500);
    expect(backoffDelay(4, 100, 5_000, () => 0)).toBe(0);
  });
});

describe('retryAfterDelay', () => {
  it('reads delay-seconds and HTTP dates, capped at maxDelay', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterDelay('1', 5_000, now)).toBe(1_000);
    expect(retryAfterDelay(' 30 ', 5_000, now)).toBe(5_000);
    expect(retryAfterDelay('Wed, 01 Jan 2025 00:00:02 GMT', 5_000, now)).toBe(2_000);
    expect(retryAfterDelay('Tue, 31 Dec 2024 23:00:00 GMT', 5_000, now)).toBe(0);
  });

  it('returns undefined for a missing or unreadable header', () => {
    expect(retryAfterDelay(null, 5_000)).toBeUndefined();
    expect(retryAfterDelay('soon', 5_000)).toBeUndefined();
  });
});

describe('sleep', () => {
  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
