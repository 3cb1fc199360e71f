// Issue #18 ("Keys cannot be minted on a plain-HTTP origin"): crypto.randomUUID is missing outside
// secure contexts and in some React Native set-ups; every client helper threw.
import { webcrypto } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIdempotentFetch } from '../../../src/client/index.js';
import {
  chooseKey,
  mintIdempotencyKey,
  newIdempotencyKey,
  type KeyRandomSource,
} from '../../../src/core/client-key.js';
import { idempotentMutationFn } from '../../../src/tanstack-query/index.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A crypto object as an insecure-context browser has it: getRandomValues, no randomUUID. */
const withoutRandomUUID: KeyRandomSource = {
  getRandomValues: (array) => webcrypto.getRandomValues(array),
};

describe('mintIdempotencyKey', () => {
  it('uses randomUUID where it exists', () => {
    expect(mintIdempotencyKey({ randomUUID: () => 'from-randomUUID', getRandomValues: () => never() })).toBe(
      'from-randomUUID',
    );
  });

  it('builds a v4 UUID from getRandomValues when randomUUID is missing: version and variant bits set, distinct keys', () => {
    const keys = Array.from({ length: 200 }, () => mintIdempotencyKey(withoutRandomUUID));
    for (const key of keys) expect(key).toMatch(UUID_V4);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keeps every random bit except the six the version and variant take', () => {
    const allOnes: KeyRandomSource = { getRandomValues: (array) => (array.fill(0xff), array) };
    const allZeros: KeyRandomSource = { getRandomValues: (array) => (array.fill(0), array) };
    expect(mintIdempotencyKey(allOnes)).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(mintIdempotencyKey(allZeros)).toBe('00000000-0000-4000-8000-000000000000');
  });

  it('throws an error naming the fix (generateKey) when there is no cryptographic random source, never Math.random', () => {
    for (const source of [undefined, {}, { randomUUID: undefined, getRandomValues: undefined }]) {
      expect(() => mintIdempotencyKey(source)).toThrow(
        /no crypto\.randomUUID or crypto\.getRandomValues.*generateKey/s,
      );
    }
  });

  it('newIdempotencyKey mints from the runtime crypto', () => {
    expect(newIdempotencyKey()).toMatch(UUID_V4);
  });
});

describe('the client helpers on a runtime without crypto.randomUUID', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('mint v4 UUIDs from getRandomValues by default (the Apollo link and urql exchange through chooseKey)', async () => {
    vi.stubGlobal('crypto', withoutRandomUUID);
    expect(chooseKey(undefined, false)).toMatch(UUID_V4);

    const sent: (string | null)[] = [];
    const idempotentFetch = createIdempotentFetch(async (_input, init) => {
      sent.push(new Headers(init?.headers).get('idempotency-key'));
      return new Response('{}');
    });
    await idempotentFetch('http://localhost/graphql', { method: 'POST', body: '{"query":"mutation { a }"}' });
    expect(sent[0]).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(JSON.parse(sent[0]!)).toMatch(UUID_V4);

    const keys: string[] = [];
    const mutationFn = idempotentMutationFn(async (_variables: void, key) => void keys.push(key));
    await mutationFn(undefined, { client: undefined as never, meta: undefined, mutationKey: undefined });
    expect(keys[0]).toMatch(UUID_V4);
  });

  it('throw the error naming generateKey when the runtime has no crypto at all, and mint with a given generateKey', () => {
    vi.stubGlobal('crypto', undefined);
    expect(() => chooseKey(undefined, false)).toThrow(/generateKey/);
    expect(chooseKey(undefined, false, () => 'mine')).toBe('mine');
  });
});

function never(): never {
  throw new Error('getRandomValues must not be called when randomUUID exists');
}
