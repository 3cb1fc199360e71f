import type { BeginOutcome, BeginRequest, IdempotencyStore, OwnerRequest } from '../core/store.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most records kept at once; beyond it the least recently written are dropped, never one that is
   * running under a live lease (a new key then gets 503 until one finishes). Defaults to `10_000`.
   */
  maxRecords?: number;
  /** Clock in milliseconds, for tests. Defaults to `Date.now`. */
  now?: () => number;
}

/** Defaults of {@link MemoryStoreOptions}. */
export const memoryStoreDefaults = { maxRecords: 10_000 } as const;

interface MemoryRecord {
  state: 'free' | 'running' | 'done';
  fingerprint?: string;
  owner?: string;
  leaseUntil: number;
  fence: number;
  result?: string;
  expiresAt: number;
}

/**
 * An in-process store: the embedded default. Each transition runs synchronously, so it is atomic
 * within one Node process, but it is not shared between processes: use the Redis store for more
 * than one server. Records expire with their TTL and the store holds at most `maxRecords`.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): IdempotencyStore & { readonly size: number } {
  const maxRecords = options.maxRecords ?? memoryStoreDefaults.maxRecords;
  const now = options.now ?? Date.now;
  const records = new Map<string, MemoryRecord>();

  function read(id: string): MemoryRecord | undefined {
    const record = records.get(id);
    if (record && record.expiresAt <= now()) {
      records.delete(id);
      return undefined;
    }
    return record;
  }

  /** Re-inserts the record so Map order is least-recently-written first. */
  function write(id: string, record: MemoryRecord): void {
    records.delete(id);
    records.set(id, record);
  }

  /**
   * Makes room for one more record: drops expired records, then the least recently written ones,
   * but never a record whose owner still holds a live lease (dropping it would let a repeat run the
   * operation a second time). Throws when live leases fill the store: the engine answers 503.
   */
  function makeRoom(time: number): void {
    if (records.size < maxRecords) return;
    for (const [id, record] of records) {
      if (record.expiresAt <= time || !(record.state === 'running' && record.leaseUntil > time)) records.delete(id);
      if (records.size < maxRecords) return;
    }
    throw new Error(`The memory store holds ${maxRecords} running operations (maxRecords); none can be dropped.`);
  }

  function owned(request: OwnerRequest): MemoryRecord | undefined {
    const record = read(request.id);
    return record?.state === 'running' && record.owner === request.owner ? record : undefined;
  }

  return {
    get size() {
      return records.size;
    },

    async begin(request: BeginRequest): Promise<BeginOutcome> {
      const time = now();
      const record = read(request.id);
      if (record && record.state !== 'free') {
        if (record.fingerprint !== request.fingerprint) return { status: 'mismatch' };
        if (record.state === 'done') return { status: 'completed', result: record.result ?? '' };
        if (record.leaseUntil > time) return { status: 'running', leaseRemainingMs: record.leaseUntil - time };
      }
      if (!record) makeRoom(time);
      const fence = (record?.fence ?? 0) + 1;
      write(request.id, {
        state: 'running',
        fingerprint: request.fingerprint,
        owner: request.owner,
        leaseUntil: time + request.leaseMs,
        fence,
        expiresAt: time + request.ttlMs,
      });
      return { status: 'acquired', fence, takeover: record?.state === 'running' };
    },

    extend(request) {
      const record = owned(request);
      if (record) {
        record.leaseUntil = now() + request.leaseMs;
        record.expiresAt = Math.max(record.expiresAt, record.leaseUntil);
      }
      return Promise.resolve(record !== undefined);
    },

    complete(request) {
      const record = owned(request);
      if (record) {
        write(request.id, { state: 'done', fingerprint: record.fingerprint, leaseUntil: 0, fence: record.fence, result: request.result, expiresAt: now() + request.ttlMs });
      }
      return Promise.resolve(record !== undefined);
    },

    release(request) {
      const record = owned(request);
      if (record) write(request.id, { state: 'free', leaseUntil: 0, fence: record.fence, expiresAt: record.expiresAt });
      return Promise.resolve(record !== undefined);
    },
  };
}
