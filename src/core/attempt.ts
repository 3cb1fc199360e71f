import type { BodyOutcome } from './policy.js';
import type { RunContext } from './run-context.js';

/** How results of one kind are written to and read back from the store. */
export interface ResultCodec<T> {
  stringify(value: T): string;
  parse(text: string): T;
}

/** One operation handed to {@link IdempotencyEngine.begin}: who sends what, and how its value is kept. */
export interface AttemptRequest<T> {
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
   * How the body ended, for a value handed to `finish` without an outcome (a transport whose body
   * resolves with a thrown error's outcome: a coded client error is stored, an unexpected or
   * transient one frees the key, see `keepsRecord`). One that throws counts as "the body returned"
   * (a `policy-error` event). Defaults to "the body returned".
   */
  outcome?: (value: T) => BodyOutcome;
  /** Overrides the error policy: whether the value is stored (`false` frees the key). Defaults to the policy. */
  shouldStore?: (value: T) => boolean;
  /** How the value is stored and replayed. Defaults to superjson, which keeps `Date`, `Map`, `Set`, `BigInt` and `undefined`. */
  codec?: ResultCodec<T>;
  /** Overrides the engine's `required` for this operation. Defaults to the engine's `required`. */
  required?: boolean;
}

/**
 * An attempt allowed to run: its run context, and its two ways to end. The first call of `finish`
 * or `abandon` decides; every later call of either returns the first call's promise and does
 * nothing else. The lease is renewed from `begin` until the attempt ends (or `maxRunTime` passes).
 */
export interface RunningAttempt<T> {
  status: 'running';
  /** Key, fencing token, takeover and derived keys of this attempt. */
  context: RunContext;
  /**
   * Hands over the final value and how the body ended (defaults to the request's `outcome` of the
   * value, else "the body returned"); stores it, or frees the key, by the policy and `shouldStore`.
   * Resolves once the store has it (store errors are retried for `completionRetry`); never rejects.
   */
  finish(value: T, outcome?: BodyOutcome): Promise<void>;
  /**
   * Ends an attempt whose body never ran or threw unexpectedly: frees the key. Resolves once the
   * store has freed it (store errors are retried for `completionRetry`); never rejects.
   */
  abandon(error: unknown): Promise<void>;
  /**
   * Starts one part of the body, for a body made of parts that run one after another (the root
   * fields of a GraphQL mutation). Call it right before the part's code runs, in the same
   * synchronous call: that code and everything it starts (Node's async context: its awaits, child
   * fields, timers) is the part's. A statement sent through `tx()`'s client counts for the part
   * whose code sends it, whichever part's `tx()` gave the client, and runs only while that part is
   * the latest one and has not thrown: one sent after the part threw, or after the next part
   * started, is refused (`'ended'`), and so is one sent by code of no part once parts started
   * (`'outside-root-field'`). The writes of a part are rolled back alone when it ends with `threw`
   * (with the PostgreSQL store, a savepoint set in line before any later statement), while the
   * writes of the parts that returned commit with the result. A part that starts before the
   * previous one ended, or whose writes cannot be rolled back alone, makes the whole transaction
   * fail to commit (never a partial commit). Without a transaction, it does nothing.
   */
  startPart(): BodyPart;
}

/** One part of a body (see {@link RunningAttempt.startPart}): how it ended. */
export interface BodyPart {
  /** The part returned: its writes stay. */
  returned(): void;
  /** The part threw: its writes are rolled back. */
  threw(): void;
}

/** How {@link IdempotencyEngine.begin} answered: run now, or the stored value of an earlier run. */
export type Attempt<T> = RunningAttempt<T> | { status: 'replayed'; value: T };

/**
 * One ending for several end hooks: the returned function runs the `end` it is given only on its
 * first call; every call returns that first call's promise. For `finish` / `abandon`, whichever
 * comes first.
 */
export function firstEnding(): (end: () => Promise<void>) => Promise<void> {
  let ended: Promise<void> | undefined;
  return (end) => (ended ??= end());
}
