import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', () => createMemoryStore());

describe('memory store bound', () => {
  const begin = (store: ReturnType<typeof createMemoryStore>, id: string, owner = 'o') =>
    store.begin({ id, fingerprint: 'fp', owner, leaseMs: 5_000, ttlMs: 60_000 });

  it('holds at most maxRecords, dropping the least recently written finished records', async () => {
    const store = createMemoryStore({ maxRecords: 100 });
    const ids = Array.from({ length: 250 }, () => randomUUID());
    for (const id of ids) {
      await begin(store, id);
      await store.complete({ id, owner: 'o', result: 'r', ttlMs: 60_000 });
    }
    expect(store.size).toBe(100);
    await expect(begin(store, ids.at(-1)!, 'x')).resolves.toEqual({ status: 'completed', result: 'r' });
    await expect(begin(store, ids[0]!, 'x')).resolves.toMatchObject({ status: 'acquired' });
  });

  it('never drops a record under a live lease, and refuses new records while running ones fill it', async () => {
    const store = createMemoryStore({ maxRecords: 3 });
    const running = [randomUUID(), randomUUID()];
    for (const id of running) await begin(store, id);
    const done = randomUUID();
    await begin(store, done);
    await store.complete({ id: done, owner: 'o', result: 'r', ttlMs: 60_000 });

    await expect(begin(store, randomUUID())).resolves.toMatchObject({ status: 'acquired' });
    for (const id of running) await expect(begin(store, id, 'x')).resolves.toMatchObject({ status: 'running' });
    await expect(begin(store, randomUUID())).rejects.toThrow(/running operations/);
    expect(store.size).toBe(3);
  });
});
