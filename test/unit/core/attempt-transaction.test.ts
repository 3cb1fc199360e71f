/**
 * The parts of an attempt's transaction (the root fields of a GraphQL mutation), on a store whose
 * transaction only records what it was asked: each part's writes follow its own savepoint, a part
 * that threw is rolled back to it, and where its writes cannot be told apart nothing commits.
 */
import { AsyncResource } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { attemptTransaction } from '../../../src/core/attempt-transaction.js';
import { createEngine } from '../../../src/core/engine.js';
import type {
  IdempotencyStore,
  StoreTransaction,
  TransactionOptions,
  TransactionSavepoint,
} from '../../../src/core/store.js';
import { createMemoryStore } from '../../../src/stores/memory.js';

interface Client {
  write(what: string): Promise<void>;
}

interface Logged extends TransactionSavepoint {
  mark: number;
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
      const rollbackTo = ({ mark }: Logged) => {
        if (savepoints === 'failing') return Promise.reject(new Error('the connection broke'));
        log.push(`rollback to ${mark}`);
        return Promise.resolve();
      };
      const transaction: StoreTransaction<Client> = {
        client: {
          write(what) {
            const refused = options.refusal?.();
            if (refused) return Promise.reject(refused);
            log.push(what);
            return Promise.resolve();
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
          // Logged when called, as pg puts a query in line when it is sent.
          savepoint(back?: TransactionSavepoint) {
            const rolledBack = back && rollbackTo(back as Logged);
            const mark = ++marks;
            log.push(`savepoint ${mark}`);
            const savepoint: Logged = {
              mark,
              set: rolledBack ?? Promise.resolve(),
              rollback: () => rollbackTo(savepoint),
            };
            return savepoint;
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

  it('a client kept from an earlier part, used as a part starts (no await): its statement runs after that part’s savepoint, and after the rollback of the part before that threw', async () => {
    const { store, log } = loggingStore();
    const transaction = attemptTransaction(store);
    const a = transaction.startPart();
    const kept = (await transaction.tx()) as Client;
    await kept.write('a');
    a.returned();
    const b = transaction.startPart();
    void kept.write('b');
    b.threw();
    transaction.startPart().returned();
    void kept.write('c');
    await (await transaction.close())!.commit('result', 1);
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

  it('a statement counts for the part whose code sends it: one of a part that returned runs until the next part starts, then it is refused (ended); one of no part is refused once parts started (outside-root-field)', async () => {
    const { store, log } = loggingStore();
    const transaction = attemptTransaction(store);
    let send!: () => void;
    const gate = new Promise<void>((resolve) => (send = resolve));
    const noPart = new AsyncResource('code of no part'); // the async context before any part started
    const a = transaction.startPart();
    const client = (await transaction.tx()) as Client;
    await client.write('a');
    a.returned();
    await client.write('a, after it returned'); // a child field of a, say
    const late = gate.then(() => client.write('a, late')); // a's code, run once b started
    const b = transaction.startPart();
    send();
    await expect(late).rejects.toMatchObject({ code: 'IDEMPOTENCY_TRANSACTION_UNAVAILABLE', reason: 'ended' });
    await expect(noPart.runInAsyncScope(() => client.write('outside'))).rejects.toMatchObject({
      reason: 'outside-root-field',
    });
    await client.write('b');
    b.returned();
    await (await transaction.close())!.commit('result', 1);
    expect(log).toEqual(['begin', 'savepoint 1', 'a', 'a, after it returned', 'savepoint 2', 'b', 'commit']);
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
