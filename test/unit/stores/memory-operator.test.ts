// Readiness and inspection for operators: ping, inspect and forget on the memory store.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, forgetRecord, inspectRecord, type IdempotencyStore } from '../../../src/index.js';
import { recordId } from '../../../src/core/hashing.js';
import { describeOperatorContract } from '../../support/operator-contract.js';
import { beginRequest } from '../../support/stores/store-contract.js';

describeOperatorContract('memory', () => createMemoryStore());

describe('memory store inspection on its own clock', () => {
  it('reports lease end and expiry from the store clock, and forgets an expired record as absent', async () => {
    let time = 1_000_000;
    const store = createMemoryStore({ now: () => time });
    await store.begin(beginRequest('id', 'owner', { leaseMs: 5_000, ttlMs: 60_000 }));
    await expect(store.inspect('id')).resolves.toEqual({
      state: 'running',
      fence: 1,
      takeover: false,
      leaseExpiresAt: new Date(1_005_000),
      expiresAt: new Date(1_060_000),
    });
    time += 10_000; // the lease lapsed: a takeover
    await store.begin(beginRequest('id', 'taker'));
    await expect(store.inspect('id')).resolves.toMatchObject({ state: 'running', fence: 2, takeover: true });
    time += 3_600_000;
    await expect(store.inspect('id')).resolves.toBeUndefined();
    await expect(store.forget('id')).resolves.toBe(false);
    expect(store.size).toBe(0);
  });

  it('gives back the bytes and the scope quota of a forgotten record', async () => {
    const store = createMemoryStore({ maxRecordsPerScope: 1 });
    await store.begin(beginRequest('first', 'o'));
    await expect(store.begin(beginRequest('second', 'o'))).rejects.toThrow(/maxRecordsPerScope 1/);
    await store.forget('first');
    expect(store.bytes).toBe(0);
    await expect(store.begin(beginRequest('second', 'o'))).resolves.toMatchObject({ status: 'acquired' });
  });
});

describe('inspectRecord and forgetRecord', () => {
  it('hash scope, operation and key as the engine does: a number scope is its string', async () => {
    const store = createMemoryStore();
    const id = recordId('42', 'payments.create', 'k');
    await store.begin(beginRequest(id, 'o'));
    await expect(inspectRecord(store, { scope: 42, operation: 'payments.create', key: 'k' })).resolves.toMatchObject({
      id,
      record: { state: 'running' },
    });
    const anonymous = recordId(null, 'payments.create', 'k');
    await store.begin(beginRequest(anonymous, 'o'));
    await expect(inspectRecord(store, { scope: null, operation: 'payments.create', key: 'k' })).resolves.toMatchObject({
      id: anonymous,
      record: { state: 'running' },
    });
  });

  it('refuse a malformed address with a TypeError naming the field', async () => {
    const store = createMemoryStore();
    const address = { scope: 'u', operation: 'op', key: 'k' };
    await expect(inspectRecord(store, { ...address, scope: {} as never })).rejects.toThrow(
      /record address "scope" must be a string/,
    );
    await expect(inspectRecord(store, { ...address, operation: '' })).rejects.toThrow(/"operation" must be/);
    await expect(forgetRecord(store, { ...address, key: 7 as never })).rejects.toThrow(/"key" must be/);
  });

  it('refuse a store without inspect or forget with a TypeError naming the method', async () => {
    const { begin, extend, complete, release } = createMemoryStore();
    const bare: IdempotencyStore = { begin, extend, complete, release };
    const address = { scope: 'u', operation: 'op', key: 'k' };
    await expect(inspectRecord(bare, address)).rejects.toThrow(/this store has no inspect\(\)/);
    await expect(forgetRecord(bare, address)).rejects.toThrow(/this store has no forget\(\)/);
  });
});
