import { defaultFieldResolver, GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { BodyOutcome } from '../core/policy.js';
import { keepsRecord } from '../core/policy.js';

/** Where a running mutation's tracker sits on its context object. */
const TRACKER = Symbol.for('idempotent-mutations.rootOutcomes');
/** Schemas whose mutation resolvers are already wrapped. */
const wrapped = new WeakSet<GraphQLSchema>();

/**
 * What the root mutation resolvers of one execution did. A root resolver is the operation's body:
 * once one has returned, its effect may have happened, whatever its child fields do afterwards.
 */
export class RootOutcomes {
  private returned = false;
  private readonly thrown: unknown[] = [];

  /** Puts this tracker on an execution's context, where the wrapped resolvers find it. */
  static attach(context: object): RootOutcomes {
    const tracker = new RootOutcomes();
    // Enumerable, so a plugin that copies the context ({ ...context }) keeps the tracker.
    Object.defineProperty(context, TRACKER, { value: tracker, configurable: true, enumerable: true });
    return tracker;
  }

  /** The body's outcome: returned if any root resolver returned; else how the first (kept) error ended; else "never ran". */
  outcome(): BodyOutcome {
    if (this.returned) return { returned: true };
    const outcomes = this.thrown.map(classify);
    return outcomes.find(keepsRecord) ?? outcomes[0] ?? { returned: false, coded: false };
  }

  /** Calls a root resolver, noting whether it returned or threw. */
  track(call: () => unknown): unknown {
    let value: unknown;
    try {
      value = call();
    } catch (error) {
      this.thrown.push(error);
      throw error;
    }
    if (!isPromiseLike(value)) {
      this.returned = true;
      return value;
    }
    return Promise.resolve(value).then(
      (resolved) => {
        this.returned = true;
        return resolved;
      },
      (error: unknown) => {
        this.thrown.push(error);
        throw error;
      },
    );
  }
}

/**
 * Wraps each root mutation field's resolver once per schema, so that an execution carrying a
 * {@link RootOutcomes} tracker on its context learns which root resolvers returned and which threw.
 * Executions without a tracker (queries, unkeyed mutations) call the original resolver directly.
 */
export function trackMutationResolvers(schema: GraphQLSchema): void {
  if (wrapped.has(schema)) return;
  wrapped.add(schema);
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context, info) => {
      const tracker = (context as Record<symbol, RootOutcomes | undefined> | null)?.[TRACKER];
      return tracker ? tracker.track(() => resolve(source, args, context, info)) : resolve(source, args, context, info);
    };
  }
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
