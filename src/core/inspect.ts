import { recordId } from './hashing.js';
import type { IdempotencyStore, StoredRecordView } from './store.js';

/**
 * Which record an operator means: the three things its id is hashed from, as the adapters pass them.
 */
export interface RecordAddress {
  /**
   * The caller's id as the adapter's `scope` option returns it (`42` and `'42'` are one scope), or
   * `null` for the shared anonymous scope of `scope: false`. Required.
   */
  scope: string | number | null;
  /**
   * The operation: for GraphQL, the mutation's root field names sorted and joined by `,`
   * (`createPayment`, or `createPayment,sendReceipt`); for tRPC, the procedure path
   * (`payments.create`). Required.
   */
  operation: string;
  /** The `Idempotency-Key` the client sent. Required. */
  key: string;
}

/** Options of {@link inspectRecord}. */
export interface InspectOptions {
  /** Reads the stored (serialized) result of a done record too. Defaults to `false`. */
  includeResult?: boolean;
}

/** What {@link inspectRecord} reports: the record's id, and the record, or `undefined` when there is none. */
export interface RecordInspection {
  /** The hashed record id the store keeps the record under. */
  id: string;
  /** The unexpired record, or `undefined` when there is none. */
  record: StoredRecordView | undefined;
}

function addressId(address: RecordAddress): string {
  const { scope, operation, key } = address;
  if (scope !== null && typeof scope !== 'string' && !(typeof scope === 'number' && Number.isFinite(scope)))
    throw new TypeError('record address "scope" must be a string, a finite number, or null for the anonymous scope.');
  if (typeof operation !== 'string' || operation === '')
    throw new TypeError('record address "operation" must be a non-empty string.');
  if (typeof key !== 'string' || key === '') throw new TypeError('record address "key" must be a non-empty string.');
  return recordId(scope === null ? null : String(scope), operation, key);
}

function operatorMethod<Name extends 'inspect' | 'forget'>(
  store: IdempotencyStore,
  name: Name,
): NonNullable<IdempotencyStore[Name]> {
  const method = store[name];
  if (typeof method !== 'function')
    throw new TypeError(
      `this store has no ${name}(): use the memory, Redis or PostgreSQL store of idempotent-mutations, or add ${name}(id) to a custom store.`,
    );
  return method.bind(store) as NonNullable<IdempotencyStore[Name]>;
}

/**
 * Reads the record of (`scope`, `operation`, `key`) for an operator: its state, fence, takeover flag,
 * lease end and expiry. The stored result is read only with `includeResult: true`. Changes nothing.
 */
export async function inspectRecord(
  store: IdempotencyStore,
  address: RecordAddress & InspectOptions,
): Promise<RecordInspection> {
  const id = addressId(address);
  const record = await operatorMethod(store, 'inspect')(id, { includeResult: address.includeResult === true });
  return { id, record };
}

/**
 * Deletes the record of (`scope`, `operation`, `key`) whatever its state, so the next request with
 * the key runs the mutation again: an operator's deliberate act. Forgetting a running record is
 * safe for the store (the running holder's completion is then refused as stale and not stored), but
 * the holder's body may still be running while a retry runs it again. Resolves `true` when there was
 * a record.
 */
export async function forgetRecord(store: IdempotencyStore, address: RecordAddress): Promise<boolean> {
  return operatorMethod(store, 'forget')(addressId(address));
}
