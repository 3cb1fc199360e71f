import type { IdempotencyStore } from '../../src/core/store.js';
import type { ChargeDetails, ChargeRequest, LedgerAccess } from '../ledger.js';
import type { ChildMessage, ParentMessage } from './messages.js';

const STORE_METHODS = new Set(['begin', 'extend', 'complete', 'release']);

/** Runs one call from instance A on the ledger or the shared memory store (none with Redis: A has its own connection). */
async function run(
  call: Extract<ChildMessage, { type: 'call' }>,
  ledger: LedgerAccess,
  store: IdempotencyStore | undefined,
): Promise<unknown> {
  if (call.target === 'ledger' && call.method === 'charge')
    return ledger.charge(call.args[0] as ChargeRequest, call.args[1] as ChargeDetails);
  if (call.target === 'ledger' && call.method === 'list') return ledger.list();
  if (call.target === 'store' && store && STORE_METHODS.has(call.method)) {
    const method = store[call.method as keyof IdempotencyStore] as (request: unknown) => Promise<unknown>;
    return method.call(store, call.args[0]);
  }
  throw new Error(`instance A may not call ${call.target}.${call.method}`);
}

/** Answers one call from instance A; the reply carries the value or the error's name and message. */
export async function answerCall(
  call: Extract<ChildMessage, { type: 'call' }>,
  ledger: LedgerAccess,
  store: IdempotencyStore | undefined,
): Promise<ParentMessage> {
  try {
    return { type: 'reply', id: call.id, ok: true, value: await run(call, ledger, store) };
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    return { type: 'reply', id: call.id, ok: false, error: { name, message } };
  }
}
