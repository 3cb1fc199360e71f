/** One record of the memory store. */
export interface MemoryRecord {
  state: 'free' | 'running' | 'done';
  /** Hashed scope the record belongs to; it counts against that scope's quota. */
  scopeId: string;
  fingerprint?: string;
  /**
   * Owner token of the last acquisition, kept on done and free records too, so the owner's re-sent
   * `complete` or `release` answers as the first did.
   */
  owner: string;
  leaseUntil: number;
  fence: number;
  /**
   * Whether an attempt before the current one may have left partial work: the last acquisition took
   * over an expired lease, or followed the release of one that did. Kept through releases until an
   * attempt completes (a re-sent `begin` answers the same).
   */
  takeover: boolean;
  result?: string;
  expiresAt: number;
  /** UTF-8 bytes of the id, fingerprint and result, as counted against the bounds. */
  bytes: number;
}

/** Bounds of the records a memory store holds; see `MemoryStoreOptions`. */
export interface MemoryBounds {
  maxRecords: number;
  maxRecordsPerScope: number;
  maxBytes: number;
  maxBytesPerScope: number;
}

/** What one scope holds: its unexpired records, and their bytes. */
interface ScopeUsage {
  records: number;
  bytes: number;
}

/** UTF-8 bytes of `text`, 0 when there is none. */
export const byteLength = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text));

/**
 * The records of a memory store and their accounting: how many records and bytes (id, fingerprint
 * and result) each scope holds, and all of them together. No unexpired record is ever dropped to make
 * room, so no caller can push out another caller's record; instead {@link admit} refuses a new
 * record while a bound is hit. Expired records are dropped when read, and swept when a bound is hit.
 * Records are changed in place by the store, which reports each change's bytes with {@link changed}.
 */
export function createMemoryRecords(bounds: MemoryBounds) {
  const held = new Map<string, MemoryRecord>();
  const perScope = new Map<string, ScopeUsage>();
  let bytes = 0;
  /** No record expires before this time: a sweep before it would find nothing. */
  let nextExpiry = Infinity;

  function remove(id: string, record: MemoryRecord): void {
    held.delete(id);
    bytes -= record.bytes;
    const usage = perScope.get(record.scopeId)!;
    usage.bytes -= record.bytes;
    if (--usage.records === 0) perScope.delete(record.scopeId);
  }

  function sweep(time: number): void {
    nextExpiry = Infinity;
    for (const [id, record] of held) {
      if (record.expiresAt <= time) remove(id, record);
      else nextExpiry = Math.min(nextExpiry, record.expiresAt);
    }
  }

  /** Why a new record of `scopeId` needing `size` bytes cannot be held now, if it cannot. */
  function refusal(scopeId: string, size: number): string | undefined {
    const usage = perScope.get(scopeId) ?? { records: 0, bytes: 0 };
    if (held.size >= bounds.maxRecords)
      return `it holds ${held.size} unexpired records (maxRecords ${bounds.maxRecords})`;
    if (usage.records >= bounds.maxRecordsPerScope)
      return `this scope holds ${usage.records} unexpired records (maxRecordsPerScope ${bounds.maxRecordsPerScope})`;
    if (bytes + size > bounds.maxBytes)
      return `its records hold ${bytes} bytes and a new one needs ${size} more (maxBytes ${bounds.maxBytes})`;
    if (usage.bytes + size > bounds.maxBytesPerScope) {
      return `this scope's records hold ${usage.bytes} bytes and a new one needs ${size} more (maxBytesPerScope ${bounds.maxBytesPerScope})`;
    }
    return undefined;
  }

  return {
    get size() {
      return held.size;
    },
    get bytes() {
      return bytes;
    },

    /** The unexpired record under `id`; an expired one is dropped. */
    get(id: string, time: number): MemoryRecord | undefined {
      const record = held.get(id);
      if (record && record.expiresAt <= time) {
        remove(id, record);
        return undefined;
      }
      return record;
    },

    /** Drops the record under `id`, whatever its state; `true` when there was an unexpired one. */
    delete(id: string, time: number): boolean {
      const record = this.get(id, time);
      if (record) remove(id, record);
      return record !== undefined;
    },

    /**
     * Checks that a new record of `scopeId` holding `size` bytes may be held, reclaiming expired records if a bound is hit. Throws
     * when a bound is still hit: the key is refused (the engine answers 503), nothing is dropped.
     */
    admit(scopeId: string, size: number, time: number): void {
      let reason = refusal(scopeId, size);
      if (reason && time >= nextExpiry) {
        sweep(time);
        reason = refusal(scopeId, size);
      }
      if (reason)
        throw new Error(
          `The memory store refuses a new idempotency key: ${reason}. It accepts new keys again as records expire.`,
        );
    },

    /** Holds a new `record` under `id` (after {@link admit}), counting its `bytes`. Never refuses. */
    add(id: string, record: MemoryRecord): void {
      let usage = perScope.get(record.scopeId);
      if (!usage) perScope.set(record.scopeId, (usage = { records: 0, bytes: 0 }));
      usage.records++;
      usage.bytes += record.bytes;
      bytes += record.bytes;
      nextExpiry = Math.min(nextExpiry, record.expiresAt);
      held.set(id, record);
    },

    /**
     * Accounts a held record the store changed in place: `addedBytes` more (fewer when negative) and
     * its `expiresAt`. Never refuses.
     */
    changed(record: MemoryRecord, addedBytes: number): void {
      if (addedBytes !== 0) {
        record.bytes += addedBytes;
        bytes += addedBytes;
        perScope.get(record.scopeId)!.bytes += addedBytes;
      }
      if (record.expiresAt < nextExpiry) nextExpiry = record.expiresAt;
    },
  };
}
