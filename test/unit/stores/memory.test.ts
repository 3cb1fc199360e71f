import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  memoryStoreDefaults,
  type MemoryStoreOptions,
} from '../../../src/index.js';
import { isIdempotencyError } from '../../../src/core/errors.js';
import { beginRequest, describeStoreContract } from '../../support/stores/store-contract.js';

describeStoreContract('memory', () => createMemoryStore());

const HOUR = 3_600_000;

/** A memory store on a clock the test moves by hand. */
function storeOnClock(options: MemoryStoreOptions = {}) {
  let time = 1_000_000;
  const store = createMemoryStore({ ...options, now: () => time });
  return { store, advance: (ms: number) => (time += ms) };
}

/** Begins and completes one record of `scopeId`; resolves to the error when the store refuses it. */
async function runOnce(
  store: ReturnType<typeof createMemoryStore>,
  id: string,
  scopeId: string,
  result = 'r',
  ttlMs = HOUR,
) {
  try {
    await store.begin(beginRequest(id, 'o', { scopeId, ttlMs }));
  } catch (error) {
    return error as Error;
  }
  await store.complete({ id, owner: 'o', result, ttlMs });
  return undefined;
}

describe('memory store fairness: no caller pushes out another caller’s records', () => {
  it('keeps user B’s completed record replayable while user A sends 12 000 keys, refusing A’s keys beyond its quota', async () => {
    const store = createMemoryStore();
    await runOnce(store, 'b-payment', 'user-b', '{"paid":42}');
    const refusals: Error[] = [];
    for (let n = 0; n < 12_000; n++) {
      const refused = await runOnce(store, `a-${n}`, 'user-a');
      if (refused) refusals.push(refused);
    }
    expect(refusals).toHaveLength(12_000 - memoryStoreDefaults.maxRecordsPerScope);
    expect(refusals[0]!.message).toMatch(/maxRecordsPerScope 1000/);
    await expect(store.begin(beginRequest('b-payment', randomUUID(), { scopeId: 'user-b' }))).resolves.toEqual({
      status: 'completed',
      result: '{"paid":42}',
    });
    await expect(store.begin(beginRequest('a-0', randomUUID(), { scopeId: 'user-a' }))).resolves.toEqual({
      status: 'completed',
      result: 'r',
    });
    await expect(store.begin(beginRequest('b-next', randomUUID(), { scopeId: 'user-b' }))).resolves.toMatchObject({
      status: 'acquired',
    });
  });

  it('refuses new keys once the whole store is full, never evicting an unexpired record', async () => {
    const store = createMemoryStore();
    await runOnce(store, 'b-payment', 'user-b', '{"paid":42}');
    const refusals: Error[] = [];
    for (let user = 0; user < 11; user++) {
      for (let n = 0; n < 1_000; n++) {
        const refused = await runOnce(store, `${user}-${n}`, `user-${user}`);
        if (refused) refusals.push(refused);
      }
    }
    expect(store.size).toBe(memoryStoreDefaults.maxRecords);
    expect(refusals).toHaveLength(11_001 - memoryStoreDefaults.maxRecords);
    expect(refusals[0]!.message).toMatch(/maxRecords 10000/);
    await expect(store.begin(beginRequest('b-payment', randomUUID(), { scopeId: 'user-b' }))).resolves.toEqual({
      status: 'completed',
      result: '{"paid":42}',
    });
    await expect(store.begin(beginRequest('0-0', randomUUID(), { scopeId: 'user-0' }))).resolves.toEqual({
      status: 'completed',
      result: 'r',
    });
  });

  it('keeps existing records working when full: replays, conflicts, mismatches and completion of running records', async () => {
    const store = createMemoryStore({ maxRecords: 2 });
    await store.begin(beginRequest('running', 'o'));
    await runOnce(store, 'done', 'scope');
    await expect(store.begin(beginRequest('new', 'o'))).rejects.toThrow(/maxRecords 2/);
    await expect(store.begin(beginRequest('running', randomUUID()))).resolves.toMatchObject({ status: 'running' });
    await expect(store.begin(beginRequest('done', randomUUID(), { fingerprint: 'other' }))).resolves.toEqual({
      status: 'mismatch',
    });
    await expect(store.begin(beginRequest('done', randomUUID()))).resolves.toEqual({
      status: 'completed',
      result: 'r',
    });
    await expect(store.complete({ id: 'running', owner: 'o', result: 'late', ttlMs: HOUR })).resolves.toBe(true);
    await expect(store.begin(beginRequest('running', randomUUID()))).resolves.toEqual({
      status: 'completed',
      result: 'late',
    });
    expect(store.size).toBe(2);
  });

  it('reclaims expired records, so a full scope and a full store accept new keys again', async () => {
    const { store, advance } = storeOnClock({ maxRecords: 4, maxRecordsPerScope: 2 });
    await runOnce(store, 'a-1', 'user-a', 'r', 1_000);
    await runOnce(store, 'a-2', 'user-a', 'r', 5_000);
    await expect(store.begin(beginRequest('a-3', 'o', { scopeId: 'user-a' }))).rejects.toThrow(/maxRecordsPerScope 2/);
    advance(1_000);
    await expect(store.begin(beginRequest('a-3', 'o', { scopeId: 'user-a' }))).resolves.toMatchObject({
      status: 'acquired',
    });
    expect(store.size).toBe(2);

    await runOnce(store, 'b-1', 'user-b', 'r', 1_000);
    await runOnce(store, 'c-1', 'user-c', 'r', 1_000);
    await expect(store.begin(beginRequest('d-1', 'o', { scopeId: 'user-d' }))).rejects.toThrow(/maxRecords 4/);
    advance(1_000);
    await expect(store.begin(beginRequest('d-1', 'o', { scopeId: 'user-d' }))).resolves.toMatchObject({
      status: 'acquired',
    });
    expect(store.size).toBe(3);
  });

  it('honours maxBytes (ids, fingerprints and results, in UTF-8), yet stores a completion that goes past it', async () => {
    const store = createMemoryStore({ maxBytes: 1_000 });
    await store.begin(beginRequest('k1', 'o'));
    expect(store.bytes).toBe('k1'.length + 'fp'.length);
    await store.complete({ id: 'k1', owner: 'o', result: 'é'.repeat(495), ttlMs: HOUR });
    expect(store.bytes).toBe(4 + 990);
    await expect(store.begin(beginRequest('k2', 'o'))).resolves.toMatchObject({ status: 'acquired' });
    expect(store.bytes).toBe(998);
    await expect(store.complete({ id: 'k2', owner: 'o', result: 'x'.repeat(100), ttlMs: HOUR })).resolves.toBe(true);
    expect(store.bytes).toBe(1_098);
    await expect(store.begin(beginRequest('k3', 'o'))).rejects.toThrow(/maxBytes 1000/);
    await expect(store.begin(beginRequest('k2', randomUUID()))).resolves.toEqual({
      status: 'completed',
      result: 'x'.repeat(100),
    });
    await expect(store.begin(beginRequest('k1', randomUUID()))).resolves.toMatchObject({ status: 'completed' });
  });

  it('honours maxBytesPerScope: one scope storing large results is refused new keys, another scope is not', async () => {
    const store = createMemoryStore({ maxBytesPerScope: 1_000 });
    await store.begin(beginRequest('m-1', 'o', { scopeId: 'mallory' }));
    await store.complete({ id: 'm-1', owner: 'o', result: 'x'.repeat(995), ttlMs: HOUR });
    await expect(store.begin(beginRequest('m-2', 'o', { scopeId: 'mallory' }))).rejects.toThrow(
      /this scope's records hold 1000 bytes .*maxBytesPerScope 1000/,
    );
    await expect(store.begin(beginRequest('a-1', 'o', { scopeId: 'alice' }))).resolves.toMatchObject({
      status: 'acquired',
    });
    // Mallory's own record still replays, and freeing her bytes lets her in again.
    await expect(store.begin(beginRequest('m-1', randomUUID(), { scopeId: 'mallory' }))).resolves.toMatchObject({
      status: 'completed',
    });
    expect(store.bytes).toBe(1_000 + 'a-1'.length + 'fp'.length);
  });

  it('refuses a new key as a 503 from the engine, running nothing, while another scope replays', async () => {
    const engine = createIdempotencyEngine({ store: createMemoryStore({ maxRecordsPerScope: 1 }) });
    let runs = 0;
    const run = async () => ++runs;
    const pay = (scope: string, key: string) =>
      engine.execute({ scope, operation: 'pay', key, input: { amount: 1 }, run });
    await pay('bob', 'k');
    await pay('alice', 'k1');
    await expect(pay('alice', 'k2')).rejects.toMatchObject({ status: 503, code: 'IDEMPOTENCY_STORE_UNAVAILABLE' });
    expect(runs).toBe(2);
    await expect(pay('bob', 'k')).resolves.toMatchObject({ replayed: true });
    expect(runs).toBe(2);
  });

  it('validates its bounds at construction', () => {
    expect(() => createMemoryStore({ maxRecordsPerScope: 0 })).toThrow(/maxRecordsPerScope/);
    expect(() => createMemoryStore({ maxBytesPerScope: 0.5 })).toThrow(/maxBytesPerScope/);
    expect(() => createMemoryStore({ maxBytes: 1.5 })).toThrow(/maxBytes/);
    expect(() => createMemoryStore({ maxRecords: Number.NaN })).toThrow(/maxRecords/);
  });
});

// A reproduction from the adversarial reviews of November and December 2026.
describe('the memory store under one scope that fills its quota', () => {
  it('a scope that fills its quota cannot lock others out or push their records out; running attempts still complete', async () => {
    const store = createMemoryStore({ maxRecords: 20, maxRecordsPerScope: 5 });
    const engine = createIdempotencyEngine({ store });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const victim = engine.execute({
      scope: 'victim',
      operation: 'pay',
      key: 'v',
      input: 1,
      run: async () => {
        await gate;
        return 'victim-paid';
      },
    });
    for (let i = 0; i < 5; i++)
      await engine.execute({ scope: 'mallory', operation: 'pay', key: `m${i}`, input: 1, run: async () => i });
    const refused = await engine
      .execute({ scope: 'mallory', operation: 'pay', key: 'm-extra', input: 1, run: async () => 'x' })
      .catch((e: unknown) => e);
    expect(isIdempotencyError(refused) && refused.code).toBe('IDEMPOTENCY_STORE_UNAVAILABLE');
    release();
    expect(await victim).toEqual({ value: 'victim-paid', replayed: false });
    expect(
      await engine.execute({ scope: 'victim', operation: 'pay', key: 'v', input: 1, run: async () => 'again' }),
    ).toEqual({ value: 'victim-paid', replayed: true });
    expect(
      await engine.execute({ scope: 'bob', operation: 'pay', key: 'b', input: 1, run: async () => 'bob' }),
    ).toEqual({ value: 'bob', replayed: false });
  });
});
