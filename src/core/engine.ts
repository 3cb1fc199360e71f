import { randomUUID } from 'node:crypto';
import {
  type Attempt,
  type AttemptRequest,
  type BodyPart,
  firstEnding,
  type ResultCodec,
  type RunningAttempt,
} from './attempt.js';
import { attemptTransaction, refusedTransaction, type AttemptTransaction } from './attempt-transaction.js';
import {
  IdempotencyCommitAbortedError,
  IdempotencyCommitFailedError,
  IdempotencyConcurrentRequestError,
  IdempotencyKeyMismatchError,
  IdempotencyKeyRequiredError,
  IdempotencyResultNotStoredError,
  IdempotencyScopeMissingError,
  IdempotencyStoreUnavailableError,
  isIdempotencyError,
} from './errors.js';
import { fingerprintOf, recordId } from './hashing.js';
import { createRecordHolding, judgedOutcome, keeps, NOT_STORED, type Held } from './held-record.js';
import { observeExecution, type ObservedExecution, type Report } from './instrumentation.js';
import { resolveKey, type KeySources } from './key.js';
import { DEFAULT_MAX_WAITERS, idempotencyDefaults, validateOptions, type IdempotencyOptions } from './options.js';
import { recordedRunContext, unkeyedRunContext, type RunContext } from './run-context.js';
import { scopeId } from './scope.js';
import { serializer } from './serializer.js';
import type { BeginOutcome, BeginRequest, IdempotencyStore } from './store.js';
import { createWaitingRoom } from './waiting-room.js';

export type { Attempt, AttemptRequest, BodyPart, ResultCodec, RunningAttempt } from './attempt.js';
export type { RunContext } from './run-context.js';

/** One operation handed to {@link IdempotencyEngine.execute}: an {@link AttemptRequest} and its body. */
export interface ExecuteRequest<T> extends AttemptRequest<T> {
  /**
   * Runs the operation's body. Resolving means the body returned, or ended in a way `outcome`
   * describes; rejecting means the body threw an unexpected error, which frees the key.
   */
  run: (context: RunContext) => Promise<T>;
}

/** The outcome of {@link IdempotencyEngine.execute}. */
export interface ExecuteResult<T> {
  value: T;
  /** True when `value` is a stored result and the operation did not run. */
  replayed: boolean;
}

/** The transport-agnostic idempotency engine every adapter delegates to. */
export interface IdempotencyEngine {
  /**
   * The first phase of an operation, for transports that run it between two hooks (a GraphQL
   * execution between a plugin's start and end hooks): answers `replayed` with the stored value,
   * or a running attempt the caller must end once with `finish` or `abandon` (until then its lease
   * is renewed, up to `maxRunTime`). Rejects with the typed refusals: key required, scope missing,
   * conflict (409), mismatch (422), store unavailable (503), result not stored. With no key (and
   * none required), and when the store is down with `failMode: 'open'`, the attempt holds no
   * record: its `finish` and `abandon` store nothing.
   */
  begin<T>(request: AttemptRequest<T>): Promise<Attempt<T>>;
  /** Runs `request.run` at most once per (scope, operation, key), replaying the stored result to repeats: `begin`, then `run`, then `finish` or `abandon`. */
  execute<T>(request: ExecuteRequest<T>): Promise<ExecuteResult<T>>;
  /** Resolves and validates the key from its carriers, honouring `maxKeyLength`. */
  resolveKey(sources: KeySources): string | undefined;
}

/** Options of {@link createEngine}: the engine options with the store given. */
export type EngineOptions = IdempotencyOptions & { store: IdempotencyStore };

/** A begin outcome other than a live lease held by someone else. */
type Settled = Exclude<BeginOutcome, { status: 'running' }>;

/**
 * Creates the engine on `options.store` (core imports no store: `createIdempotencyEngine` from
 * `idempotent-mutations` puts a memory store where none is given). Adapters create one per plugin /
 * middleware instance.
 */
export function createEngine(options: EngineOptions): IdempotencyEngine {
  const settings = validateOptions({ ...idempotencyDefaults, ...withoutUndefined(options) });
  const { store } = options;
  const holding = createRecordHolding({
    ...settings,
    store,
    completionRetry: settings.completionRetry ?? settings.lease,
  });
  const { concurrent } = settings;
  const waitingRoom = createWaitingRoom(
    store,
    typeof concurrent === 'object' ? (concurrent.maxWaiters ?? DEFAULT_MAX_WAITERS) : 0,
  );

  /** The refusal of a record held by someone else, reported. */
  function conflict({ id }: BeginRequest, operation: string, emit: Report): Error {
    emit('conflict', { operation, recordId: id });
    return new IdempotencyConcurrentRequestError(settings.retryAfter);
  }

  /** The refusal of a store that failed, reported. */
  function unavailable({ id }: BeginRequest, operation: string, emit: Report, error: unknown): Error {
    emit('store-error', { operation, recordId: id, error });
    return new IdempotencyStoreUnavailableError(error);
  }

  /**
   * Begins the record, waiting out a running owner when `concurrent` allows; `undefined` means
   * fail-open. Only a first `begin` that fails may fail open: once the record was seen running, a
   * later store error is a 503, never a run beside the holder.
   */
  async function claim(request: BeginRequest, operation: string, emit: Report): Promise<Settled | undefined> {
    const deadline = typeof concurrent === 'object' ? performance.now() + concurrent.wait : 0;
    let outcome: BeginOutcome;
    try {
      outcome = await store.begin(request);
    } catch (error) {
      const refusal = unavailable(request, operation, emit, error);
      if (settings.failMode === 'open') return undefined;
      throw refusal;
    }
    while (outcome.status === 'running') {
      if (deadline <= performance.now()) throw conflict(request, operation, emit);
      const waited = await waitingRoom.wait(request, deadline);
      if ('full' in waited || 'expired' in waited) throw conflict(request, operation, emit);
      if ('error' in waited) throw unavailable(request, operation, emit, waited.error);
      if ('outcome' in waited) outcome = waited.outcome;
      else {
        try {
          outcome = await store.begin(request);
        } catch (error) {
          throw unavailable(request, operation, emit, error);
        }
      }
    }
    return outcome;
  }

  /**
   * The attempt that holds record `held` from now until `finish` or `abandon`. Where the body
   * opened a transaction (`tx()`), the attempt ends through it (see `endInTransaction`), and
   * `finish` rejects with the typed error the caller gets instead of the value when the writes did
   * not commit.
   */
  function runningAttempt<T>(
    request: AttemptRequest<T>,
    context: RunContext,
    held: Held,
    transaction: AttemptTransaction,
    execution: ObservedExecution,
  ): RunningAttempt<T> {
    const codec = request.codec ?? (serializer as ResultCodec<T>);
    const stopHeartbeat = holding.hold(held);
    const end = firstEnding();
    return {
      status: 'running',
      context,
      startPart: transaction.startPart,
      finish: (value, outcome) =>
        end(async () => {
          const judgement = { shouldStore: request.shouldStore, outcome, outcomeOf: request.outcome };
          const kept = keeps(value, judgement, held);
          const result = kept ? holding.serialize(codec, value, held) : undefined;
          const closing = transaction.close();
          const opened = closing && (await closing);
          try {
            if (!opened) await holding.end(held, result, stopHeartbeat);
            else {
              const { returned } = judgedOutcome(value, judgement);
              if (returned && result === undefined)
                held.report('result-not-stored', { operation: held.operation, recordId: held.id, fence: held.fence });
              // A body that returned committed its writes: they stay, and with them the NOT_STORED marker
              // where the value is not kept, so a repeat is refused rather than run (and written) again.
              await holding.endInTransaction(
                held,
                opened,
                { returned, result: returned ? (result ?? NOT_STORED) : result },
                stopHeartbeat,
              );
            }
          } catch (error) {
            execution.end({ ok: false, error });
            throw error;
          }
          execution.end({ ok: true, replayed: false });
        }),
      abandon: (error) =>
        end(async () => {
          const closing = transaction.close();
          const opened = closing && (await closing);
          if (opened)
            await holding.endInTransaction(held, opened, { returned: false, result: undefined }, stopHeartbeat);
          else await holding.end(held, undefined, stopHeartbeat);
          execution.end({ ok: false, error });
        }),
    };
  }

  /** An attempt that holds no record (fail-open): ending it only tells the observer. */
  function unrecordedAttempt<T>(context: RunContext, execution: ObservedExecution): RunningAttempt<T> {
    const end = firstEnding();
    return {
      status: 'running',
      context,
      startPart: () => NO_PART,
      finish: () => end(async () => execution.end({ ok: true, replayed: false })),
      abandon: (error) => end(async () => execution.end({ ok: false, error })),
    };
  }

  /** The first phase with a key, on record `id`. */
  async function beginKeyed<T>(
    request: AttemptRequest<T>,
    key: string,
    id: string,
    execution: ObservedExecution,
  ): Promise<Attempt<T>> {
    const { operation, scope } = request;
    const emit = execution.report;
    if (scope === undefined) {
      emit('scope-missing', { operation, recordId: '' });
      throw new IdempotencyScopeMissingError();
    }
    const owner = randomUUID();
    const print = fingerprintOf(request.input);
    const outcome = await claim(
      {
        id,
        scopeId: scopeId(scope),
        fingerprint: typeof print === 'string' ? print : await print,
        owner,
        leaseMs: settings.lease,
        ttlMs: settings.ttl,
      },
      operation,
      emit,
    );
    if (outcome === undefined) {
      // Failed open: no record to commit with, so no writes are allowed to commit unprotected.
      const context = recordedRunContext(
        key,
        id,
        undefined,
        false,
        store.namespace,
        refusedTransaction('store-unavailable'),
      );
      return unrecordedAttempt(context, execution);
    }
    if (outcome.status === 'mismatch') {
      emit('mismatch', { operation, recordId: id });
      throw new IdempotencyKeyMismatchError();
    }
    if (outcome.status === 'completed') {
      if (outcome.result === NOT_STORED) throw new IdempotencyResultNotStoredError();
      const codec = request.codec ?? (serializer as ResultCodec<T>);
      // Read first: a stored text that cannot be read is an error, not a replay, for observers too.
      const value = codec.parse(outcome.result);
      emit('replayed', { operation, recordId: id });
      return { status: 'replayed', value };
    }
    const held: Held = { id, owner, operation, fence: outcome.fence, report: emit };
    if (outcome.takeover) emit('takeover', { operation, recordId: id, fence: held.fence });
    const transaction = attemptTransaction(store, { id, owner });
    const context = recordedRunContext(key, id, held.fence, outcome.takeover, store.namespace, transaction.tx);
    return runningAttempt(request, context, held, transaction, execution);
  }

  async function begin<T>(request: AttemptRequest<T>): Promise<Attempt<T>> {
    const { key, operation, scope } = request;
    if (key === undefined) {
      if (request.required ?? settings.required) throw new IdempotencyKeyRequiredError();
      return unkeyedAttempt(request);
    }
    const id = scope === undefined ? '' : recordId(scope, operation, key);
    const execution = observeExecution(options, { operation, recordId: id });
    let attempt: Attempt<T>;
    try {
      attempt = await beginKeyed(request, key, id, execution);
    } catch (error) {
      execution.end({ ok: false, error });
      throw error;
    }
    if (attempt.status === 'replayed') execution.end({ ok: true, replayed: true });
    return attempt;
  }

  /**
   * The attempt of an operation sent without a key: nothing to hold, nothing to store. A
   * transaction the body opened is a plain one: committed when the body returned, rolled back when
   * it threw; `finish` rejects with the typed error when the commit failed or did not take effect,
   * never resolves over writes that were discarded.
   */
  function unkeyedAttempt<T>(request: AttemptRequest<T>): RunningAttempt<T> {
    const transaction = attemptTransaction(store);
    const end = firstEnding();
    return {
      status: 'running',
      context: unkeyedRunContext(transaction.tx),
      startPart: transaction.startPart,
      finish: (value, outcome) =>
        end(async () => {
          const opened = await transaction.close();
          if (!opened) return;
          if (!judgedOutcome(value, { outcome, outcomeOf: request.outcome }).returned) return opened.rollback();
          let committed: boolean;
          try {
            committed = await opened.commit('', settings.ttl);
          } catch (error) {
            throw isIdempotencyError(error) ? error : new IdempotencyCommitFailedError(error);
          }
          // The transaction aborted before its COMMIT took effect (its session ended): nothing was written.
          if (!committed) throw new IdempotencyCommitAbortedError();
        }),
      abandon: () => end(async () => (await transaction.close())?.rollback()),
    };
  }

  return {
    begin,
    resolveKey: (sources) => resolveKey(sources, settings.maxKeyLength),

    async execute<T>(request: ExecuteRequest<T>): Promise<ExecuteResult<T>> {
      const attempt = await begin(request);
      if (attempt.status === 'replayed') return { value: attempt.value, replayed: true };
      let value: T;
      try {
        value = await request.run(attempt.context);
      } catch (error) {
        await attempt.abandon(error);
        throw error;
      }
      await attempt.finish(value);
      return { value, replayed: false };
    },
  };
}

/** The part of a body that can write nothing (its `tx()` refuses). */
const NO_PART: BodyPart = { returned: () => {}, threw: () => {} };

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
