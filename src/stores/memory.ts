import type { BeginOutcome, BeginRequest, IdempotencyStore, OwnerRequest, StoredRecordView } from '../core/store.js';
import { byteLength, createMemoryRecords, type MemoryRecord } from './memory-records.js';

/**
 * Options of {@link createMemoryStore}. The store never drops an unexpired record to make room, so
 * no caller can push out another caller's result: when a bound is hit, a new key is refused (the
 * engine answers 503 and runs nothing) until records expire, while existing records keep working
 * (replays, conflicts, and completion of running operations, even past `maxBytes`).
 */
export interface MemoryStoreOptions {
  /** Most unexpired records held at once, across all scopes. Defaults to `10_000`. */
  maxRecords?: number;
  /**
   * Most unexpired records one scope (user / tenant, as `scope` gives it) holds at once, so one
   * caller cannot fill the store for the others. Defaults to `1_000`.
   */
  maxRecordsPerScope?: number;
  /**
   * Most bytes held by records at once, counting each record's id, fingerprint and stored result
   * (UTF-8). A completion that goes past it is still stored; only new keys are then refused.
   * Defaults to 64 MiB (`67_108_864`).
   */
  maxBytes?: number;
  /**
   * Most bytes one scope's records hold at once, counted as for `maxBytes`, so one caller storing
   * large results cannot fill the store for the others: past it, that scope's new keys are refused.
   * Like `maxBytes`, it is checked when a key is first used; completions are always stored, so a
   * scope running several attempts at once may go past it by their results.
   * Defaults to 8 MiB (`8_388_608`, an eighth of the default `maxBytes`).
   */
  maxBytesPerScope?: number;
  /** Clock in milliseconds, for tests. Defaults to `Date.now`. */
  now?: () => number;
}

/** Defaults of {@link MemoryStoreOptions}. */
export const memoryStoreDefaults = {
  maxRecords: 10_000,
  maxRecordsPerScope: 1_000,
  maxBytes: 67_108_864,
  maxBytesPerScope: 8_388_608,
} as const;

/** The memory store: an {@link IdempotencyStore} that reports what it holds. */
export interface MemoryStore extends IdempotencyStore {
  /** Records held, expired ones not yet reclaimed included. */
  readonly size: number;
  /** Bytes held by records (ids, fingerprints, results), as counted against `maxBytes`. */
  readonly bytes: number;
  /** Resolves at once: the records live in this process. */
  ping(): Promise<void>;
  inspect(id: string, options?: { includeResult?: boolean }): Promise<StoredRecordView | undefined>;
  forget(id: string): Promise<boolean>;
}

function wholeAtLeastOne(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`memory store option "${name}" must be a whole number ≥ 1, got ${value}.`);
  return value;
}

/**
 * An in-process store: the embedded default. Each transition runs synchronously, so it is atomic
 * within one Node process, but it is not shared between processes: use the Redis store for more
 * than one server. Records expire with their TTL; the bounds of {@link MemoryStoreOptions} cap what
 * it holds without ever dropping a live record.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const records = createMemoryRecords({
    maxRecords: wholeAtLeastOne('maxRecords', options.maxRecords ?? memoryStoreDefaults.maxRecords),
    maxRecordsPerScope: wholeAtLeastOne(
      'maxRecordsPerScope',
      options.maxRecordsPerScope ?? memoryStoreDefaults.maxRecordsPerScope,
    ),
    maxBytes: wholeAtLeastOne('maxBytes', options.maxBytes ?? memoryStoreDefaults.maxBytes),
    maxBytesPerScope: wholeAtLeastOne(
      'maxBytesPerScope',
      options.maxBytesPerScope ?? memoryStoreDefaults.maxBytesPerScope,
    ),
  });
  const now = options.now ?? Date.now;

  /**
   * The owner's running record, to move to `after`; `true` when the same owner already moved it there
   * (a re-sent call answers as the first did), `false` when the owner lost it.
   */
  function owned(request: OwnerRequest, after: MemoryRecord['state'], time: number): MemoryRecord | boolean {
    const record = records.get(request.id, time);
    if (record?.owner !== request.owner) return false;
    if (record.state === after) return true;
    return record.state === 'running' ? record : false;
  }

  return {
    get size() {
      return records.size;
    },
    get bytes() {
      return records.bytes;
    },

    async begin(request: BeginRequest): Promise<BeginOutcome> {
      const time = now();
      const record = records.get(request.id, time);
      if (!record) {
        const bytes = byteLength(request.id) + byteLength(request.fingerprint);
        records.admit(request.scopeId, bytes, time);
        records.add(request.id, {
          state: 'running',
          scopeId: request.scopeId,
          fingerprint: request.fingerprint,
          owner: request.owner,
          leaseUntil: time + request.leaseMs,
          fence: 1,
          takeover: false,
          expiresAt: time + request.ttlMs,
          bytes,
        });
        return { status: 'acquired', fence: 1, takeover: false };
      }
      if (record.state !== 'free') {
        if (record.fingerprint !== request.fingerprint) return { status: 'mismatch' };
        if (record.state === 'done') return { status: 'completed', result: record.result ?? '' };
        if (record.owner === request.owner)
          return { status: 'acquired', fence: record.fence, takeover: record.takeover };
        if (record.leaseUntil > time) return { status: 'running', leaseRemainingMs: record.leaseUntil - time };
      }
      // A freed record keeps the takeover flag of the attempt that released it; an expired lease sets it.
      const addedBytes = record.state === 'free' ? byteLength(request.fingerprint) : 0;
      record.takeover = record.state === 'running' || record.takeover;
      record.state = 'running';
      record.fingerprint = request.fingerprint;
      record.owner = request.owner;
      record.leaseUntil = time + request.leaseMs;
      record.fence += 1;
      record.expiresAt = time + request.ttlMs;
      records.changed(record, addedBytes);
      return { status: 'acquired', fence: record.fence, takeover: record.takeover };
    },

    extend(request) {
      const time = now();
      const record = records.get(request.id, time);
      if (record?.state !== 'running' || record.owner !== request.owner) return Promise.resolve(false);
      record.leaseUntil = time + request.leaseMs;
      record.expiresAt = Math.max(record.expiresAt, record.leaseUntil);
      records.changed(record, 0);
      return Promise.resolve(true);
    },

    complete(request) {
      const time = now();
      const record = owned(request, 'done', time);
      if (typeof record === 'boolean') return Promise.resolve(record);
      record.state = 'done';
      record.leaseUntil = 0;
      record.takeover = false;
      record.result = request.result;
      record.expiresAt = time + request.ttlMs;
      records.changed(record, byteLength(request.result));
      return Promise.resolve(true);
    },

    release(request) {
      const record = owned(request, 'free', now());
      if (typeof record === 'boolean') return Promise.resolve(record);
      const freedBytes = byteLength(record.fingerprint);
      record.state = 'free';
      record.fingerprint = undefined;
      record.leaseUntil = 0;
      records.changed(record, -freedBytes);
      return Promise.resolve(true);
    },

    ping() {
      return Promise.resolve();
    },

    inspect(id, { includeResult = false } = {}) {
      const record = records.get(id, now());
      if (!record) return Promise.resolve(undefined);
      return Promise.resolve({
        state: record.state,
        fence: record.fence,
        takeover: record.takeover,
        ...(record.state === 'running' ? { leaseExpiresAt: new Date(record.leaseUntil) } : {}),
        expiresAt: new Date(record.expiresAt),
        ...(includeResult && record.state === 'done' ? { result: record.result ?? '' } : {}),
      });
    },

    forget(id) {
      return Promise.resolve(records.delete(id, now()));
    },
  };
}
