import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  IdempotencyConcurrentRequestError,
  IdempotencyKeyMismatchError,
  IdempotencyKeyRequiredError,
  IdempotencyResultNotStoredError,
  IdempotencyScopeMissingError,
  IdempotencyStoreUnavailableError,
} from './errors.js';
import { fingerprint, recordId } from './hashing.js';
import { startHeartbeat } from './heartbeat.js';
import { observeExecution, type Report } from './instrumentation.js';
import { resolveKey, type KeySources } from './key.js';
import { idempotencyDefaults, validateOptions, type IdempotencyOptions } from './options.js';
import { callPersistently } from './persistent-call.js';
import { keepsRecord, RETURNED, type BodyOutcome } from './policy.js';
import { recordedRunContext, unkeyedRunContext, type RunContext } from './run-context.js';
import { scopeId } from './scope.js';
import { serializer } from './serializer.js';
import type { BeginOutcome, IdempotencyStore } from './store.js';
import { createMemoryStore } from '../stores/memory.js';

export type { RunContext } from './run-context.js';

/** How results of one kind are written to and read back from the store. */
export interface ResultCodec<T> {
  stringify(value: T): string;
  parse(text: string): T;
}

/** One operation handed to {@link IdempotencyEngine.execute}. */
export interface ExecuteRequest<T> {
  /**
   * The caller's user / tenant id; `null` for the shared anonymous scope (the option `scope: false`);
   * `undefined` when the caller has no identity: a keyed request is then refused with
   * `IdempotencyScopeMissingError` and nothing runs. Unkeyed requests run either way.
   */
  scope: string | null | undefined;
  /** Operation identity: GraphQL root field(s) or tRPC procedure path. */
  operation: string;
  /** The resolved key (see {@link IdempotencyEngine.resolveKey}); `undefined` when none was sent. */
  key: string | undefined;
  /** The request as executed, whose fingerprint is compared on every repeat. */
  input: unknown;
  /**
   * Runs the operation's body. Resolving means the body returned, or ended in a way `outcome`
   * describes; rejecting means the body threw an unexpected error, which frees the key.
   */
  run: (context: RunContext) => Promise<T>;
  /**
   * How the body ended, for adapters whose `run` resolves with a thrown error's outcome (a coded
   * client error is stored, an unexpected or transient one frees the key: see `keepsRecord`).
   * One that throws counts as "the body returned" (a `policy-error` event). Defaults to "the body returned".
   */
  outcome?: (value: T) => BodyOutcome;
  /** Overrides the error policy: whether the value is stored (`false` frees the key). Defaults to the policy. */
  shouldStore?: (value: T) => boolean;
  /** How the value is stored and replayed. Defaults to superjson, which keeps `Date`, `Map`, `Set`, `BigInt` and `undefined`. */
  codec?: ResultCodec<T>;
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
  /** Resolves and validates the key from its carriers, honouring `maxKeyLength`. */
  resolveKey(sources: KeySources): string | undefined;
}

/** Stored in place of an outcome that could not be kept; never valid codec output. */
const NOT_STORED = '!not-stored';
/** A begin outcome other than a live lease held by someone else. */
type Settled = Exclude<BeginOutcome, { status: 'running' }>;
/** The record one attempt holds, and where the attempt's events go. */
interface Held {
  id: string;
  owner: string;
  operation: string;
  fence: number;
  report: Report;
}
const FIRST_POLL_MS = 20;
const LONGEST_POLL_MS = 200;

/** Creates the engine. Adapters create one per plugin / middleware instance. */
export function createIdempotencyEngine(options: IdempotencyOptions = {}): IdempotencyEngine {
  const settings = validateOptions({ ...idempotencyDefaults, ...withoutUndefined(options) });
  const store: IdempotencyStore = options.store ?? createMemoryStore();
  const heartbeatMs = Math.max(1, Math.floor(settings.lease / 3));
  const completionRetry = settings.completionRetry ?? settings.lease;
  /** Completion retries come at least five times a lease (and at least once a second), so one lands soon after a blip. */
  const longestRetryDelayMs = Math.max(1, Math.min(1_000, Math.floor(settings.lease / 5)));

  /**
   * Begins the record, waiting out a running owner when `concurrent` allows; `undefined` means
   * fail-open. Only a first `begin` that fails may fail open: once the record was seen running, a
   * later store error is a 503, never a run beside the holder.
   */
  async function begin(
    scope: string | null,
    id: string,
    fp: string,
    owner: string,
    operation: string,
    emit: Report,
  ): Promise<Settled | undefined> {
    const deadline = typeof settings.concurrent === 'object' ? Date.now() + settings.concurrent.wait : 0;
    const request = {
      id,
      scopeId: scopeId(scope),
      fingerprint: fp,
      owner,
      leaseMs: settings.lease,
      ttlMs: settings.ttl,
    };
    let seenRunning = false;
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 1.5, LONGEST_POLL_MS)) {
      let outcome: BeginOutcome;
      try {
        outcome = await store.begin(request);
      } catch (error) {
        emit('store-error', { operation, recordId: id, error });
        if (settings.failMode === 'open' && !seenRunning) return undefined;
        throw new IdempotencyStoreUnavailableError(error);
      }
      if (outcome.status !== 'running') return outcome;
      seenRunning = true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        emit('conflict', { operation, recordId: id });
        throw new IdempotencyConcurrentRequestError(settings.retryAfter);
      }
      await sleep(Math.min(pollMs, remaining));
    }
  }

  function holdLease({ id, owner, operation, fence, report: emit }: Held): () => void {
    return startHeartbeat({
      renew: () => store.extend({ id, owner, leaseMs: settings.lease }),
      everyMs: heartbeatMs,
      limitMs: settings.maxRunTime,
      onError: (error) => emit('store-error', { operation, recordId: id, fence, error }),
      onLimit: () => emit('run-limit-exceeded', { operation, recordId: id, fence }),
    });
  }

  /**
   * Stores the outcome (or frees the key when `result` is undefined), retrying store errors with
   * backoff for `completionRetry` while the heartbeat keeps renewing the lease, then stops it.
   */
  async function settle(
    { id, owner, operation, fence, report: emit }: Held,
    result: string | undefined,
    stopHeartbeat: () => void,
  ): Promise<void> {
    const transition = () =>
      result === undefined ? store.release({ id, owner }) : store.complete({ id, owner, result, ttlMs: settings.ttl });
    try {
      const accepted = await callPersistently(transition, completionRetry, longestRetryDelayMs, (error) =>
        emit('store-error', { operation, recordId: id, fence, error }),
      );
      emit(accepted ? (result === undefined ? 'released' : 'executed') : 'stale-completion', {
        operation,
        recordId: id,
        fence,
      });
    } catch {
      // Every failure was reported; the caller still gets its result, and the lease lapses.
    } finally {
      stopHeartbeat();
    }
  }

  /**
   * Whether the value is kept: the user's `shouldStore` if given (and it does not throw), else the
   * error policy. An `outcome` that throws counts as "the body returned": kept, never run again.
   */
  function keeps<T>(request: ExecuteRequest<T>, value: T, held: Held): boolean {
    const policyError = (error: unknown) =>
      held.report('policy-error', { operation: held.operation, recordId: held.id, fence: held.fence, error });
    if (request.shouldStore) {
      try {
        return request.shouldStore(value);
      } catch (error) {
        policyError(error);
      }
    }
    try {
      return keepsRecord(request.outcome?.(value) ?? RETURNED);
    } catch (error) {
      policyError(error);
      return true;
    }
  }

  /** The stored form of a value, or the NOT_STORED marker when it cannot be serialized or is too large. */
  function serializeForStorage<T>(
    codec: ResultCodec<T>,
    value: T,
    { operation, id, fence, report: emit }: Held,
  ): string {
    try {
      const serialized = codec.stringify(value);
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
      const { key, operation, scope } = request;
      if (key === undefined) {
        if (request.required ?? settings.required) throw new IdempotencyKeyRequiredError();
        return { value: await request.run(unkeyedRunContext()), replayed: false };
      }
      const id = scope === undefined ? '' : recordId(scope, operation, key);
      const execution = observeExecution(options, { operation, recordId: id });
      return execution.track(executeKeyed(request, key, id, execution.report));
    },
  };

  /** One execution with a key, on record `id`; its events go to `emit`. */
  async function executeKeyed<T>(
    request: ExecuteRequest<T>,
    key: string,
    id: string,
    emit: Report,
  ): Promise<ExecuteResult<T>> {
    const { operation, scope } = request;
    const codec = request.codec ?? (serializer as ResultCodec<T>);
    if (scope === undefined) {
      emit('scope-missing', { operation, recordId: '' });
      throw new IdempotencyScopeMissingError();
    }
    const owner = randomUUID();
    const outcome = await begin(scope, id, await fingerprint(request.input), owner, operation, emit);
    if (outcome === undefined)
      return { value: await request.run(recordedRunContext(key, id, undefined, false)), replayed: false };
    if (outcome.status === 'mismatch') {
      emit('mismatch', { operation, recordId: id });
      throw new IdempotencyKeyMismatchError();
    }
    if (outcome.status === 'completed') {
      if (outcome.result === NOT_STORED) throw new IdempotencyResultNotStoredError();
      emit('replayed', { operation, recordId: id });
      return { value: codec.parse(outcome.result), replayed: true };
    }
    const held: Held = { id, owner, operation, fence: outcome.fence, report: emit };
    if (outcome.takeover) emit('takeover', { operation, recordId: id, fence: held.fence });

    const stopHeartbeat = holdLease(held);
    let value: T;
    try {
      value = await request.run(recordedRunContext(key, id, held.fence, outcome.takeover));
    } catch (error) {
      await settle(held, undefined, stopHeartbeat);
      throw error;
    }
    await settle(
      held,
      keeps(request, value, held) ? serializeForStorage(codec, value, held) : undefined,
      stopHeartbeat,
    );
    return { value, replayed: false };
  }
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
