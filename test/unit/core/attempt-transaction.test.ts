/**
 * The parts of an attempt's transaction (the root fields of a GraphQL mutation), on a store whose
 * transaction only records what it was asked: each part's writes follow its own savepoint, a part
 * that threw is rolled back to it, and where its writes cannot be told apart nothing commits.
 */
import { describe, expect, it } from 'vitest';
import { attemptTransaction } from '../../../src/core/attempt-transaction.js';
import { createEngine } from '../../../src/core/engine.js';
import type { IdempotencyStore, StoreTransaction, TransactionOptions } from '../../../src/core/store.js';
import { createMemoryStore } from '../../../src/stores/memory.js';

interface Client {
  write(what: string): Promise<void>;
}

/** A store whose transactions log every step; `savepoints` false leaves `savepoint` out, 'failing' makes its rollback reject. */
function loggingStore(savepoints: boolean | 'failing' = true) {
  const log: string[] = [];
  let opened = 0;
  const memory = createMemoryStore();
  const store: IdempotencyStore = {
    ...memory,
    begin: (request) => memory.begin(request),
    extend: (request) => memory.extend(request),
    complete: (request) => memory.complete(request),
    release: (request) => memory.release(request),
    async openTransaction(_, options: TransactionOptions = {}) {
      opened++;
      log.push('begin');
      let marks = 0;
      const transaction: StoreTransaction<Client> = {
        client: {
          async write(what) {
            const refused = options.refusal?.();
            if (refused) throw refused;
            log.push(what);
          },
        },
        async commit() {
          log.push('commit');
          return true;
        },
        async release() {
          log.push('release');
          return true;
        },
        async rollback() {
          log.push('rollback');
        },
        ...(savepoints && {
          async savepoint() {
            const mark = ++marks;
            log.push(`savepoint ${mark}`);
            return {
              async rollback() {
                if (savepoints === 'failing') throw new Error('the connection broke');
                log.push(`rollback to ${mark}`);
              },
            };
          },
        }),
      };
      return transaction;
    },
  };
  return { store, log, opened: () => opened };
}

const write = async (tx: () => Promise<unknown>, what: string) => ((await tx()) as Client).write(what);

describe('attemptTransaction parts', () => {
  it('each part writes after its own savepoint; one that threw is rolled back to it, and refused until the next part starts', async () => {
    const { store, log } = loggingStore();
    const transaction = attemptTransaction(store);
    const a = transaction.startPart();
    await write(transaction.tx, 'a');
    a.returned();
    const b = transaction.startPart();
    await write(transaction.tx, 'b');
    const client = (await transaction.tx()) as Client;
    b.threw();
    await expect(transaction.tx()).rejects.toMatchObject({ reason: 'ended' });
    await expect(client.write('b, late')).rejects.toMatchObject({ reason: 'ended' });
    const c = transaction.startPart();
    await write(transaction.tx, 'c');
    c.returned();
    const opened = await transaction.close();
    await expect(opened!.commit('result', 1)).resolves.toBe(true);
    expect(log).toEqual([
      'begin',
      'savepoint 1',
      'a',
      'savepoint 2',
      'b',
      'rollback to 2',
      'savepoint 3',
      'c',
      'commit',
    ]);
  });

  it('a part that wrote nothing and threw before the transaction opened rolls nothing back', async () => {
    const { store, log } = loggingStore();
    const transaction = attemptTransaction(store);
    transaction.startPart().threw();
    transaction.startPart();
    await write(transaction.tx, 'b');
    await (await transaction.close())!.commit('result', 1);
    expect(log).toEqual(['begin', 'savepoint 1', 'b', 'commit']);
  });

  it.each([
    ['a transaction opened before any part started', true, /cannot be told apart/],
    ['a part started before the previous one ended', true, /ran at the same time/],
    ['a store without savepoints', false, /could not be rolled back alone/],
    ['a savepoint whose rollback failed', 'failing' as const, /could not be rolled back alone/],
  ])(
    '%s: a part that threw lets nothing commit (rolled back, the commit rejects)',
    async (name, savepoints, reason) => {
      const { store, log } = loggingStore(savepoints);
      const transaction = attemptTransaction(store);
      if (name.startsWith('a transaction opened')) await write(transaction.tx, 'before any part');
      const a = transaction.startPart();
      await write(transaction.tx, 'a');
      if (name.startsWith('a part started')) {
        transaction.startPart().threw(); // overlaps a, which has not ended
        a.returned();
      } else {
        a.returned();
        const b = transaction.startPart();
        await write(transaction.tx, 'b');
        b.threw();
      }
      const opened = await transaction.close();
      await expect(opened!.commit('result', 1)).rejects.toThrow(reason);
      expect(log).not.toContain('commit');
      expect(log.at(-1)).toBe('rollback');
    },
  );

  it('the engine answers a transaction that may not commit with IDEMPOTENCY_COMMIT_FAILED and frees the key', async () => {
    const { store, opened } = loggingStore(false);
    const engine = createEngine({ store });
    const request = { scope: 'u', operation: 'pay', key: 'k', input: {} };
    const attempt = await engine.begin(request);
    if (attempt.status !== 'running') throw new Error('expected to run');
    const a = attempt.startPart();
    await write(attempt.context.tx, 'a');
    a.returned();
    const b = attempt.startPart();
    await write(attempt.context.tx, 'b');
    b.threw();
    await expect(attempt.finish('partial')).rejects.toMatchObject({ code: 'IDEMPOTENCY_COMMIT_FAILED' });
    const retry = await engine.begin(request);
    expect(retry.status).toBe('running'); // freed: nothing committed
    expect(opened()).toBe(1);
  });
});
