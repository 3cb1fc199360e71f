import { GraphQLError, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { BodyPart } from '../core/attempt.js';
import type { BodyOutcome } from '../core/policy.js';
import { keepsRecord } from '../core/policy.js';

/** One call of a root resolver: how it ended. */
export interface RootCall {
  returned(): void;
  threw(error: unknown): void;
}

/**
 * What the root mutation resolvers of one execution did. A root resolver is the operation's body:
 * once one has returned, its effect may have happened, whatever its child fields do afterwards.
 * Server adapters feed it from their own hooks (see {@link trackRootResolvers} for Envelop, Apollo
 * Server's `willResolveField`).
 */
export class RootOutcomes {
  private returnedOnce = false;
  private startedOnce = false;
  private readonly thrown: unknown[] = [];
  private pending = 0;
  private whenSettled: Promise<void> | undefined;
  private settle: (() => void) | undefined;

  /**
   * `startPart`, where given, makes each root field one part of the attempt's transaction (see
   * `RunningAttempt.startPart`): the writes of a root field that threw are rolled back alone, those
   * of the root fields that returned commit with the result. Root mutation fields run one after
   * another, so each part lasts from its root field's start to the next one's.
   */
  constructor(private readonly startPart?: () => BodyPart) {}

  /**
   * A root resolver starts; the answer says how it ended. Called right before the resolver runs, in
   * the same synchronous call, so the resolver's code (and its child fields') runs in its part.
   */
  started(): RootCall {
    this.startedOnce = true;
    this.pending++;
    const part = this.startPart?.();
    return {
      returned: () => {
        part?.returned();
        this.returnedOnce = true;
        this.done();
      },
      threw: (error) => {
        part?.threw();
        this.thrown.push(error);
        this.done();
      },
    };
  }

  /** Whether any root resolver was seen to start: otherwise the executor ran them where no tracker sees. */
  get seen(): boolean {
    return this.startedOnce;
  }

  /**
   * Resolves once every root resolver that started has returned or thrown: an execution can end
   * (an executor's timeout, a cancelled request) while a root resolver still runs, and its outcome
   * must not be judged before that resolver is done.
   */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return (this.whenSettled ??= new Promise<void>((resolve) => (this.settle = resolve)));
  }

  /** The body's outcome: returned if any root resolver returned; else how the first (kept) error ended; else "never ran". */
  outcome(): BodyOutcome {
    if (this.returnedOnce) return { returned: true };
    const outcomes = this.thrown.map(classify);
    return outcomes.find(keepsRecord) ?? outcomes[0] ?? { returned: false, coded: false };
  }

  /** Calls a root resolver, noting when it starts and whether it returned or threw. */
  track(call: () => unknown): unknown {
    const root = this.started();
    let value: unknown;
    try {
      value = call();
    } catch (error) {
      root.threw(error);
      throw error;
    }
    if (!isPromiseLike(value)) {
      root.returned();
      return value;
    }
    return Promise.resolve(value).then(
      (resolved) => {
        root.returned();
        return resolved;
      },
      (error: unknown) => {
        root.threw(error);
        throw error;
      },
    );
  }

  private done(): void {
    this.pending--;
    if (this.pending === 0) this.settle?.();
  }
}

/** Where an execution's tracker sits: on its own root value, which every root resolver receives as `source`. */
const TRACKER = Symbol.for('idempotent-mutations.rootOutcomes');
/** Resolvers this module made, so a field shared by several schemas (a schema rebuilt per request) is wrapped once. */
const trackingResolvers = new WeakSet<GraphQLFieldResolver<unknown, unknown>>();

/**
 * The root value an execution with `roots` runs with: a child of its own root value (every property
 * still reads through) carrying the tracker. Root resolvers receive it as `source`; a plugin that
 * hands execution another context object leaves it alone.
 */
export function trackedRootValue(rootValue: unknown, roots: RootOutcomes): object {
  const base = typeof rootValue === 'object' && rootValue !== null ? rootValue : null;
  return Object.create(base, { [TRACKER]: { value: roots } }) as object;
}

/**
 * Wraps, once, each root mutation field that has a resolver of its own, so that an execution run with
 * a {@link trackedRootValue} learns which root resolvers returned and which threw. Executions without
 * a tracker (queries, other executors) call the original resolver directly. Fields without a resolver
 * of their own run through the executor's field resolver: see {@link trackingFieldResolver}.
 */
export function trackRootResolvers(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve;
    if (!resolve || trackingResolvers.has(resolve)) continue;
    const tracking: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
      const roots = trackerOf(source);
      return roots ? roots.track(() => resolve(source, args, context, info)) : resolve(source, args, context, info);
    };
    trackingResolvers.add(tracking);
    field.resolve = tracking;
  }
}

/** The executor's field resolver, tracking the root mutation fields it resolves (those without a resolver of their own). */
export function trackingFieldResolver(
  fieldResolver: GraphQLFieldResolver<unknown, unknown>,
): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, context, info) => {
    const roots = isRootMutationField(info) ? trackerOf(source) : undefined;
    return roots
      ? roots.track(() => fieldResolver(source, args, context, info))
      : fieldResolver(source, args, context, info);
  };
}

/** Whether `info` is about a root field of a mutation. */
export function isRootMutationField(info: GraphQLResolveInfo): boolean {
  return info.path.prev === undefined && info.parentType === info.schema.getMutationType();
}

function trackerOf(source: unknown): RootOutcomes | undefined {
  return typeof source === 'object' && source !== null
    ? (source as Record<symbol, RootOutcomes | undefined>)[TRACKER]
    : undefined;
}

/** A thrown error as the policy sees it: coded when it is a GraphQLError with `extensions.code`, with its `extensions.http.status`. */
function classify(error: unknown): BodyOutcome {
  if (!(error instanceof GraphQLError)) return { returned: false, coded: false };
  const { code, http } = error.extensions as { code?: unknown; http?: { status?: unknown } };
  const status = typeof http?.status === 'number' ? http.status : undefined;
  return { returned: false, coded: typeof code === 'string', ...(status === undefined ? {} : { status }) };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
