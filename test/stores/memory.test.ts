import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', () => createMemoryStore());

describe('memory store bound', () => {
  it('holds at most maxRecords, dropping the least recently written', async () => {
    const store = createMemoryStore({ maxRecords: 100 });
    const ids = Array.from({ length: 250 }, () => randomUUID());
    for (const id of ids) await store.begin({ id, fingerprint: 'fp', owner: 'o', leaseMs: 5_000, ttlMs: 60_000 });
    expect(store.size).toBe(100);
    const newest = await store.begin({ id: ids.at(-1)!, fingerprint: 'fp', owner: 'x', leaseMs: 5_000, ttlMs: 60_000 });
    expect(newest.status).toBe('running');
    const oldest = await store.begin({ id: ids[0]!, fingerprint: 'fp', owner: 'x', leaseMs: 5_000, ttlMs: 60_000 });
    expect(oldest.status).toBe('acquired');
  });
});
