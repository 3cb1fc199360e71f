import SuperJSON, { type registerCustom, type SuperJSONValue } from 'superjson';

type SuperJSONResult = ReturnType<SuperJSON['serialize']>;
type JSONValue = SuperJSONResult['json'];
/** The types superjson annotates in plain data. */
type Annotation = 'Date' | 'undefined';

/** Not JSON data: the fast path hands the value to superjson. */
const UNPLAIN = Symbol('unplain');

/** Keys superjson refuses (prototype pollution): the fast path leaves them to superjson. */
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** superjson's path segment escaping (`pathstringifier.ts`): `\` and `.` get a backslash. */
const escapeKey = (key: string) => (/[\\.]/.test(key) ? key.replace(/\\/g, '\\\\').replace(/\./g, '\\.') : key);

/**
 * superjson, with a fast path for what results nearly always are: plain objects, arrays, strings,
 * finite numbers, booleans, `null`, valid `Date`s and `undefined`, each object met once. Their text
 * is byte-identical to superjson's (same `json`, same `meta.values` in the same order), and any other
 * value (a `Map`, a `BigInt`, `NaN`, `-0`, a class instance, a shared or circular reference, a key
 * superjson refuses) goes to superjson itself. Reading takes the same shortcut for the text the fast
 * path writes. Registering a custom transformer (or a class superjson would otherwise walk as plain
 * data) turns the fast path off for this instance, so the instance always answers as superjson does.
 */
/**
 * The annotations of a value as superjson's walker builds them (`plainer.ts`): `[type]` for the
 * value itself, or an object of its descendants' annotations by escaped path. Being JS objects
 * built level by level, their key order (integer-like keys first) is superjson's too.
 */
type Annotations = [Annotation] | Record<string, [Annotation]>;

/** The annotations of the value {@link toPlainJson} last returned, `undefined` when none. */
let lastAnnotations: Annotations | undefined;

class FastPathSuperJSON extends SuperJSON {
  private plainFastPath = true;

  override stringify(object: unknown): string {
    if (this.plainFastPath) {
      lastAnnotations = undefined; // a getter that threw may have left some
      const json = toPlainJson(object, new Set());
      const values = lastAnnotations;
      lastAnnotations = undefined;
      if (json !== UNPLAIN) return JSON.stringify(values ? { json, meta: { values, v: 1 } } : { json });
    }
    return super.stringify(object as SuperJSONValue);
  }

  override parse<T = unknown>(text: string): T {
    const payload = JSON.parse(text) as SuperJSONResult;
    if (this.plainFastPath) {
      const restored = fromPlainJson(payload);
      if (restored !== UNPLAIN) return restored as T;
    }
    return this.deserialize<T>(payload);
  }

  override registerCustom<I, O extends JSONValue>(
    transformer: Parameters<typeof registerCustom<I, O>>[0],
    name: string,
  ): void {
    this.plainFastPath = false;
    super.registerCustom(transformer, name);
  }

  override registerClass(...args: Parameters<SuperJSON['registerClass']>): void {
    const [constructor] = args;
    if (constructor === Object || constructor === Array || constructor === Date) this.plainFastPath = false;
    super.registerClass(...args);
  }
}

/** Adds the annotations of the child under `key` to its parent's `inner` ones, as superjson's walker does. */
function gather(
  inner: Record<string, [Annotation]> | undefined,
  key: string,
): Record<string, [Annotation]> | undefined {
  const child = lastAnnotations;
  if (child === undefined) return inner;
  lastAnnotations = undefined;
  const gathered = inner ?? {};
  const escaped = escapeKey(key);
  if (Array.isArray(child)) gathered[escaped] = child;
  else for (const path in child) gathered[`${escaped}.${path}`] = child[path]!;
  return gathered;
}

/**
 * The `json` superjson gives for plain data, leaving its annotations in {@link lastAnnotations};
 * {@link UNPLAIN} for anything else.
 */
function toPlainJson(value: unknown, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : UNPLAIN;
    case 'undefined':
      // superjson writes `undefined` as null with an annotation.
      lastAnnotations = ['undefined'];
      return null;
    case 'object': {
      if (value === null) return null;
      if (seen.has(value)) return UNPLAIN;
      seen.add(value);
      let inner: Record<string, [Annotation]> | undefined;
      if (Array.isArray(value)) {
        // superjson walks an array's own keys: a hole, a non-enumerable index or an extra property
        // (a hole plus a `note` has as many keys as items) is not plain.
        if (Object.keys(value).length !== value.length) return UNPLAIN;
        for (let index = 0; index < value.length; index++)
          if (!Object.prototype.propertyIsEnumerable.call(value, index)) return UNPLAIN;
        const copy: unknown[] = new Array(value.length);
        for (let index = 0; index < value.length; index++) {
          const item = toPlainJson(value[index], seen);
          if (item === UNPLAIN) return UNPLAIN;
          copy[index] = item;
          inner = gather(inner, String(index));
        }
        lastAnnotations = inner;
        return copy;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype === Date.prototype) {
        // superjson reads a date through valueOf(), which an own property could replace.
        if (Reflect.ownKeys(value).length > 0 || Number.isNaN((value as Date).getTime())) return UNPLAIN;
        lastAnnotations = ['Date'];
        return (value as Date).toISOString();
      }
      if (prototype !== Object.prototype && prototype !== null) return UNPLAIN;
      const copy: Record<string, unknown> = {};
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key) || REFUSED_KEYS.has(key)) return UNPLAIN;
        const item = toPlainJson((value as Record<string, unknown>)[key], seen);
        if (item === UNPLAIN) return UNPLAIN;
        copy[key] = item;
        inner = gather(inner, key);
      }
      lastAnnotations = inner;
      return copy;
    }
    default:
      return UNPLAIN;
  }
}

/**
 * The value superjson's `deserialize` restores from `payload` when it only has `Date` and
 * `undefined` annotations on plain paths (what {@link toPlainJson} writes); {@link UNPLAIN} for any
 * other payload, left untouched.
 */
function fromPlainJson(payload: SuperJSONResult): unknown {
  const { json, meta } = payload as { json: unknown; meta?: Record<string, unknown> };
  if (meta === undefined) return json;
  const { values, v, ...rest } = meta;
  if (v !== 1 || values === undefined || Object.keys(rest).length > 0) return UNPLAIN;
  if (Array.isArray(values)) {
    if (values.length !== 1) return UNPLAIN;
    return restore(values[0], json, true);
  }
  if (typeof values !== 'object' || values === null) return UNPLAIN;
  const targets: [Record<string, unknown>, string, Annotation][] = [];
  for (const [path, annotation] of Object.entries(values as Record<string, unknown>)) {
    if (!Array.isArray(annotation) || annotation.length !== 1 || path.includes('\\')) return UNPLAIN;
    const type = annotation[0] as unknown;
    if (type !== 'Date' && type !== 'undefined') return UNPLAIN;
    const segments = path.split('.');
    let parent: unknown = json;
    for (let index = 0; index < segments.length - 1; index++) {
      const segment = segments[index]!;
      if (REFUSED_KEYS.has(segment) || !isContainer(parent) || !Object.prototype.hasOwnProperty.call(parent, segment))
        return UNPLAIN;
      parent = (parent as Record<string, unknown>)[segment];
    }
    const last = segments[segments.length - 1]!;
    if (
      REFUSED_KEYS.has(last) ||
      !isContainer(parent) ||
      restore(type, (parent as Record<string, unknown>)[last], false) === UNPLAIN
    )
      return UNPLAIN;
    targets.push([parent as Record<string, unknown>, last, type]);
  }
  // Every path checked before any is changed: an unexpected payload goes to superjson untouched.
  for (const [parent, key, type] of targets) parent[key] = restore(type, parent[key], true);
  return json;
}

function isContainer(value: unknown): boolean {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The value one annotation restores from its json (`check` only tells whether it can). */
function restore(type: unknown, json: unknown, build: boolean): unknown {
  if (type === 'undefined') return json === null ? undefined : UNPLAIN;
  if (type === 'Date' && typeof json === 'string') return build ? new Date(json) : json;
  return UNPLAIN;
}

/**
 * The one superjson instance used for stored results and fingerprints, so `Date`, `Map`, `Set`,
 * `BigInt` and `undefined` survive a replay with their types. Plain data (with `Date`s and
 * `undefined`) takes a fast path whose text is byte-identical to superjson's.
 */
export const superjsonInstance: SuperJSON = new FastPathSuperJSON();

/**
 * The library's superjson instance as the public API shows it: register the classes, symbols and
 * custom types your results carry on it (superjson's own methods, with its types kept out of the
 * published declarations so CommonJS consumers never import the ESM-only package).
 */
export interface ResultSerializer {
  stringify(value: unknown): string;
  parse<T = unknown>(text: string): T;
  registerClass(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any class, as superjson takes it
    constructor: new (...args: any[]) => unknown,
    options?: { identifier?: string; allowProps?: string[] } | string,
  ): void;
  registerCustom<I, O extends SerializedJson>(
    transformer: {
      isApplicable: (value: unknown) => value is I;
      serialize: (value: I) => O;
      deserialize: (value: O) => I;
    },
    name: string,
  ): void;
  registerSymbol(symbol: symbol, identifier?: string): void;
  allowErrorProps(...props: string[]): void;
}

/** A JSON value, as a custom type serializes to (superjson's `JSONValue`). */
export type SerializedJson = string | number | boolean | null | SerializedJson[] | { [key: string]: SerializedJson };

/** The library's superjson instance (see {@link ResultSerializer}). */
export const serializer: ResultSerializer = superjsonInstance as unknown as ResultSerializer;
