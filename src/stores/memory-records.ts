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
  /** Whether the last acquisition took over an expired lease (a re-sent `begin` answers the same). */
  takeover: boolean;
  result?: string;
  expiresAt: number;
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

interface Held {
  record: MemoryRecord;
  bytes: number;
}

const byteLength = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text));
const sizeOf = (id: string, record: MemoryRecord) =>
  byteLength(id) + byteLength(record.fingerprint) + byteLength(record.result);

/**
 * The records of a memory store and their accounting: how many records and bytes (id, fingerprint
 * and result) each scope holds, and all of them together. No unexpired record is ever dropped to make
 * room, so no caller can push out another caller's record; instead {@link admit} refuses a new
 * record while a bound is hit. Expired records are dropped when read, and swept when a bound is hit.
 */
export function createMemoryRecords(bounds: MemoryBounds) {
  const held = new Map<string, Held>();
  const perScope = new Map<string, ScopeUsage>();
  let bytes = 0;
  /** No record expires before this time: a sweep before it would find nothing. */
  let nextExpiry = Infinity;

  function remove(id: string, { record, bytes: size }: Held): void {
    held.delete(id);
    bytes -= size;
    const usage = perScope.get(record.scopeId)!;
    usage.bytes -= size;
    if (--usage.records === 0) perScope.delete(record.scopeId);
  }

  function sweep(time: number): void {
    nextExpiry = Infinity;
    for (const [id, entry] of held) {
      if (entry.record.expiresAt <= time) remove(id, entry);
      else nextExpiry = Math.min(nextExpiry, entry.record.expiresAt);
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
      const entry = held.get(id);
      if (entry && entry.record.expiresAt <= time) {
        remove(id, entry);
        return undefined;
      }
      return entry?.record;
    },

    /**
     * Checks that a new record may be held, reclaiming expired records if a bound is hit. Throws
     * when a bound is still hit: the key is refused (the engine answers 503), nothing is dropped.
     */
    admit(id: string, scopeId: string, fingerprint: string, time: number): void {
      const size = byteLength(id) + byteLength(fingerprint);
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

    /** Stores `record` under `id`, replacing the one there, whose `scopeId` it must keep. Never refuses. */
    set(id: string, record: MemoryRecord): void {
      const previous = held.get(id);
      const size = sizeOf(id, record);
      const usage = perScope.get(record.scopeId) ?? { records: 0, bytes: 0 };
      if (previous) {
        bytes -= previous.bytes;
        usage.bytes -= previous.bytes;
      } else {
        usage.records++;
        perScope.set(record.scopeId, usage);
      }
      bytes += size;
      usage.bytes += size;
      nextExpiry = Math.min(nextExpiry, record.expiresAt);
      held.set(id, { record, bytes: size });
    },
  };
}
