import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  IdempotencyConcurrentRequestError,
  IdempotencyKeyMismatchError,
  IdempotencyKeyRequiredError,
  IdempotencyResultNotStoredError,
  IdempotencyStoreUnavailableError,
} from './errors.js';
import type { IdempotencyEvent, IdempotencyEventType } from './events.js';
import { fingerprint, recordId } from './hashing.js';
import { resolveKey, type KeySources } from './key.js';
import { idempotencyDefaults, validateOptions, type IdempotencyOptions } from './options.js';
import { serializer } from './serializer.js';
import type { BeginOutcome, IdempotencyStore } from './store.js';
import { createMemoryStore } from '../stores/memory.js';

/** What `run()` is handed: the key and the fencing token of this acquisition. */
export interface RunContext {
  /** The idempotency key, or `undefined` when the request had none. */
  key: string | undefined;
  /**
   * Fencing token: grows with every acquisition of the same record. Store it beside the side
   * effect and refuse writes with a smaller token to guard against a stalled former owner.
   * `undefined` when nothing was acquired (no key, or fail-open).
   */
  fence: number | undefined;
}

/** One operation handed to {@link IdempotencyEngine.execute}. */
export interface ExecuteRequest<T> {
  /**
   * User / tenant scope; `null` for an anonymous, shared scope; `undefined` when the caller has no
   * identity: the operation then runs without idempotency (an `unscoped` event), never in a shared scope.
   */
  scope: string | null | undefined;
  /** Operation identity: GraphQL root field(s) or tRPC procedure path. */
  operation: string;
  /** The resolved key (see {@link IdempotencyEngine.resolveKey}); `undefined` when none was sent. */
  key: string | undefined;
  /** Input whose fingerprint is compared on every repeat. */
  input: unknown;
  /** Runs the operation. A throw releases the record so a retry runs again. */
  run: (context: RunContext) => Promise<T>;
  /** Whether a result is stored for replay (`false` releases the record). Defaults to always. */
  shouldStore?: (value: T) => boolean;
  /** Overrides the engine's `required` for this operation. Defaults to the engine's `required`. */
  required?: boolean;
}

/** The outcome of {@link IdempotencyEngine.execute}. */
export interface ExecuteResult<T> {
  value: T;
  /** True when `value` is a stored result and the operation did not run. */
  replayed: boolean;
}

/** The transport-agnostic idempotency engine every adapter delegates to. */
export interface IdempotencyEngine {
  /** Runs `request.run` at most once per (scope, operation, key), replaying the stored result to repeats. */
  execute<T>(request: ExecuteRequest<T>): Promise<ExecuteResult<T>>;
  /** Resolves and validates the key from header and argument, honouring `maxKeyLength`. */
  resolveKey(sources: KeySources): string | undefined;
}

/** Stored in place of a result that was too large to keep; never valid superjson output. */
const NOT_STORED = '!not-stored';
/** A begin outcome other than a live lease held by someone else. */
type Settled = Exclude<BeginOutcome, { status: 'running' }>;
const FIRST_POLL_MS = 20;
const LONGEST_POLL_MS = 200;

/** Creates the engine. Adapters create one per plugin / middleware instance. */
export function createIdempotencyEngine(options: IdempotencyOptions = {}): IdempotencyEngine {
  const settings = validateOptions({ ...idempotencyDefaults, ...withoutUndefined(options) });
  const store: IdempotencyStore = options.store ?? createMemoryStore();
  const heartbeatMs = Math.max(1, Math.floor(settings.lease / 3));

  function emit(type: IdempotencyEventType, details: Omit<IdempotencyEvent, 'type'>): void {
    try {
      options.onEvent?.({ type, ...details });
    } catch {
      // A faulty event handler must not change the outcome of a mutation.
    }
  }

  /** Begins the record, waiting out a running owner when `concurrent` allows; `undefined` means fail-open. */
  async function begin(id: string, fp: string, owner: string, operation: string): Promise<Settled | undefined> {
    const deadline = typeof settings.concurrent === 'object' ? Date.now() + settings.concurrent.wait : 0;
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 1.5, LONGEST_POLL_MS)) {
      let outcome: BeginOutcome;
      try {
        outcome = await store.begin({ id, fingerprint: fp, owner, leaseMs: settings.lease, ttlMs: settings.ttl });
      } catch (error) {
        emit('store-error', { operation, recordId: id, error });
        if (settings.failMode === 'open') return undefined;
        throw new IdempotencyStoreUnavailableError(error);
      }
      if (outcome.status !== 'running') return outcome;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        emit('conflict', { operation, recordId: id });
        throw new IdempotencyConcurrentRequestError(settings.retryAfter);
      }
      await sleep(Math.min(pollMs, remaining));
    }
  }

  function startHeartbeat(id: string, owner: string, operation: string): () => void {
    const timer = setInterval(() => {
      store.extend({ id, owner, leaseMs: settings.lease }).then(
        (held) => held || clearInterval(timer), // The lease was taken over: renewing is pointless; completion will be refused.
        (error: unknown) => emit('store-error', { operation, recordId: id, error }),
      );
    }, heartbeatMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async function finish(id: string, owner: string, operation: string, fence: number, result: string | undefined) {
    const transition = result === undefined ? store.release({ id, owner }) : store.complete({ id, owner, result, ttlMs: settings.ttl });
    try {
      const accepted = await transition;
      emit(accepted ? (result === undefined ? 'released' : 'executed') : 'stale-completion', { operation, recordId: id, fence });
    } catch (error) {
      emit('store-error', { operation, recordId: id, fence, error });
    }
  }

  /** The stored form of a result, or the NOT_STORED marker when it cannot be serialized or is too large. */
  function serializeForStorage(value: unknown, operation: string, id: string, fence: number): string {
    try {
      const serialized = serializer.stringify(value);
      if (Buffer.byteLength(serialized) <= settings.maxResultBytes) return serialized;
      emit('result-not-stored', { operation, recordId: id, fence });
    } catch (error) {
      emit('result-not-stored', { operation, recordId: id, fence, error });
    }
    return NOT_STORED;
  }

  return {
    resolveKey: (sources) => resolveKey(sources, settings.maxKeyLength),

    async execute<T>(request: ExecuteRequest<T>): Promise<ExecuteResult<T>> {
      const { key, operation } = request;
      /** Runs the operation with no record: no key, no caller identity, or the store down in fail-open. */
      const runUnrecorded = async () => ({ value: await request.run({ key, fence: undefined }), replayed: false });
      if (key === undefined) {
        if (request.required ?? settings.required) throw new IdempotencyKeyRequiredError();
        return runUnrecorded();
      }
      if (request.scope === undefined) {
        emit('unscoped', { operation, recordId: '' });
        return runUnrecorded();
      }
      const id = recordId(request.scope, operation, key);
      const owner = randomUUID();
      const outcome = await begin(id, fingerprint(request.input), owner, operation);
      if (outcome === undefined) return runUnrecorded();
      if (outcome.status === 'mismatch') {
        emit('mismatch', { operation, recordId: id });
        throw new IdempotencyKeyMismatchError();
      }
      if (outcome.status === 'completed') {
        if (outcome.result === NOT_STORED) throw new IdempotencyResultNotStoredError();
        emit('replayed', { operation, recordId: id });
        return { value: serializer.parse<T>(outcome.result), replayed: true };
      }
      const { fence } = outcome;
      if (outcome.takeover) emit('takeover', { operation, recordId: id, fence });

      const stopHeartbeat = startHeartbeat(id, owner, operation);
      let value: T;
      let keep: boolean;
      try {
        value = await request.run({ key, fence });
        keep = request.shouldStore?.(value) ?? true;
      } catch (error) {
        stopHeartbeat();
        await finish(id, owner, operation, fence, undefined);
        throw error;
      }
      stopHeartbeat();
      await finish(id, owner, operation, fence, keep ? serializeForStorage(value, operation, id, fence) : undefined);
      return { value, replayed: false };
    },
  };
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
