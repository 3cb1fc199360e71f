/**
 * Whether a procedure's output can be stored and replayed as the same value: one walk over it
 * that stops at the first part a replay could not give back. tRPC itself sends some values that no
 * serializer keeps (over `httpBatchStreamLink`, a Promise or an async iterable anywhere in the
 * output is streamed after the rest), and a serializer turns an instance of a class it does not
 * know into a plain object (or, with superjson, into `{}` when its state is private): storing either
 * would make every repeat answer with another output. Such an output is not stored: its repeats are
 * refused (`IDEMPOTENCY_RESULT_NOT_STORED`), never run again.
 */
import type { TRPCCombinedDataTransformer, TRPCDataTransformer } from '@trpc/server';

/** Deeper than this, an output is not walked further and not stored (superjson recurses as deep). */
export const MAX_STORED_DEPTH = 1000;

/** The registries of a superjson instance: what it restores as the same class or symbol. */
export interface SerializerRegistries {
  classRegistry: { getIdentifier(constructor: unknown): string | undefined };
  customTransformerRegistry: { findApplicable(value: unknown): unknown };
  symbolRegistry: { getIdentifier(symbol: unknown): string | undefined };
}

type Bag = Record<string | symbol, unknown>;

function isBag(value: unknown): value is Bag {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/** The transformer that stores outputs: the output half of a combined transformer. */
export function outputTransformer(transformer: TRPCDataTransformer | TRPCCombinedDataTransformer): TRPCDataTransformer {
  return 'output' in transformer && isBag(transformer.output)
    ? transformer.output
    : (transformer as TRPCDataTransformer);
}

/**
 * The registries of `transformer` when it is superjson: an instance (`new SuperJSON()`), or the
 * default export (the class, whose static methods use its `defaultInstance`). `undefined` for any
 * other transformer, which is then trusted with the types every serializer of tRPC keeps only.
 */
export function superjsonRegistries(transformer: unknown): SerializerRegistries | undefined {
  for (const candidate of [transformer, isBag(transformer) ? transformer.defaultInstance : undefined]) {
    if (!isBag(candidate)) continue;
    const { classRegistry, customTransformerRegistry, symbolRegistry } = candidate;
    if (
      isBag(classRegistry) &&
      typeof classRegistry.getIdentifier === 'function' &&
      isBag(customTransformerRegistry) &&
      typeof customTransformerRegistry.findApplicable === 'function' &&
      isBag(symbolRegistry) &&
      typeof symbolRegistry.getIdentifier === 'function'
    ) {
      return candidate as unknown as SerializerRegistries;
    }
  }
  return undefined;
}

/** Prototypes of the values superjson restores as they were, by its own rules (superjson 2: `transformer.ts`). */
const KEPT_PROTOTYPES: ReadonlySet<object | null> = new Set([
  null,
  Object.prototype,
  Array.prototype,
  Date.prototype,
  Map.prototype,
  Set.prototype,
  RegExp.prototype,
  Error.prototype,
  URL.prototype,
  ...[
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
  ].map((type) => type.prototype),
]);
/** Of those, the ones whose contents are walked; the others are leaves. */
const CONTAINER_PROTOTYPES: ReadonlySet<object | null> = new Set([
  null,
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Error.prototype,
]);

/**
 * What in `output` cannot be stored and replayed as it is (`'output.receipt is a Promise'`), or
 * `undefined` when all of it can: no Promise or other thenable, async iterable, function, symbol the
 * serializer does not know, or instance of a class that it does not restore (with superjson:
 * registered with `registerClass` or `registerCustom`; with another transformer: none), nested
 * at most {@link MAX_STORED_DEPTH} levels. Each object is visited once; the walk stops at the first hit.
 */
export function unstorablePart(output: unknown, registries: SerializerRegistries | undefined): string | undefined {
  const seen = new Set<object>();
  const path: string[] = [];
  const at = (what: string) => `${['output', ...path].join('')} is ${what}`;

  function visit(value: unknown): string | undefined {
    if (typeof value === 'function') return at('a function');
    if (typeof value === 'symbol')
      return registries?.symbolRegistry.getIdentifier(value) !== undefined
        ? undefined
        : at('a symbol the serializer does not restore');
    if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
    if (path.length >= MAX_STORED_DEPTH) return at(`nested deeper than ${MAX_STORED_DEPTH} levels`);
    seen.add(value);
    if (typeof (value as { then?: unknown }).then === 'function') return at('a Promise');
    if (Symbol.asyncIterator in value) return at('an async iterable (a stream)');
    if (registries?.customTransformerRegistry.findApplicable(value)) return undefined;
    const prototype: unknown = Object.getPrototypeOf(value);
    const registered =
      registries !== undefined && registries.classRegistry.getIdentifier(value.constructor) !== undefined;
    if (!registered && !KEPT_PROTOTYPES.has(prototype as object | null)) {
      const name = isBag(prototype) && typeof prototype.constructor === 'function' ? prototype.constructor.name : '';
      return at(`an instance of ${name || 'a class'}, which the serializer does not restore`);
    }
    if (!registered && !CONTAINER_PROTOTYPES.has(prototype as object | null)) return undefined;
    if (value instanceof Map) {
      for (const [key, item] of value) {
        const segment = `.get(${typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean' ? String(key) : '…'})`;
        const found = step(segment, () => key) ?? step(segment, () => item);
        if (found) return found;
      }
      return undefined;
    }
    if (value instanceof Set) {
      for (const item of value) {
        const found = step('.has(…)', () => item);
        if (found) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(value)) {
      const found = step(Array.isArray(value) ? `[${key}]` : `.${key}`, () => (value as Bag)[key]);
      if (found) return found;
    }
    return undefined;
  }

  /** Visits what `read` gives, one level down at `segment` (a getter that throws fails there: the path stays). */
  function step(segment: string, read: () => unknown): string | undefined {
    path.push(segment);
    const found = visit(read());
    path.pop();
    return found;
  }

  try {
    return visit(output);
  } catch (error) {
    return at(`a value that cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
}
