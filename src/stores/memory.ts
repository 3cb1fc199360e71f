import type { BeginOutcome, BeginRequest, IdempotencyStore, OwnerRequest } from '../core/store.js';
import { createMemoryRecords, type MemoryRecord } from './memory-records.js';

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
   * Moves the owner's running record to `after` with `change`. Answers true again, changing nothing,
   * when the same owner already moved it there (a re-sent call); false when the owner lost it.
   */
  function finish(
    request: OwnerRequest,
    after: MemoryRecord['state'],
    change: (record: MemoryRecord, time: number) => MemoryRecord,
  ): Promise<boolean> {
    const time = now();
    const record = records.get(request.id, time);
    if (record?.owner !== request.owner) return Promise.resolve(false);
    if (record.state === after) return Promise.resolve(true);
    if (record.state !== 'running') return Promise.resolve(false);
    records.set(request.id, change(record, time));
    return Promise.resolve(true);
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
      if (record && record.state !== 'free') {
        if (record.fingerprint !== request.fingerprint) return { status: 'mismatch' };
        if (record.state === 'done') return { status: 'completed', result: record.result ?? '' };
        if (record.owner === request.owner)
          return { status: 'acquired', fence: record.fence, takeover: record.takeover };
        if (record.leaseUntil > time) return { status: 'running', leaseRemainingMs: record.leaseUntil - time };
      }
      if (!record) records.admit(request.id, request.scopeId, request.fingerprint, time);
      const fence = (record?.fence ?? 0) + 1;
      const takeover = record?.state === 'running';
      records.set(request.id, {
        state: 'running',
        scopeId: record?.scopeId ?? request.scopeId,
        fingerprint: request.fingerprint,
        owner: request.owner,
        leaseUntil: time + request.leaseMs,
        fence,
        takeover,
        expiresAt: time + request.ttlMs,
      });
      return { status: 'acquired', fence, takeover };
    },

    extend(request) {
      const time = now();
      const record = records.get(request.id, time);
      if (record?.state !== 'running' || record.owner !== request.owner) return Promise.resolve(false);
      const leaseUntil = time + request.leaseMs;
      records.set(request.id, { ...record, leaseUntil, expiresAt: Math.max(record.expiresAt, leaseUntil) });
      return Promise.resolve(true);
    },

    complete(request) {
      return finish(request, 'done', (record, time) => ({
        ...record,
        state: 'done',
        leaseUntil: 0,
        result: request.result,
        expiresAt: time + request.ttlMs,
      }));
    },

    release(request) {
      return finish(request, 'free', (record) => ({ ...record, state: 'free', fingerprint: undefined, leaseUntil: 0 }));
    },
  };
}
