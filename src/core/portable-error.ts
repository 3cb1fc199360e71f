/**
 * Errors kept whole across a store round trip. superjson's own rule for an `Error` keeps only its
 * name, message and cause; an error formatter that reads other properties of a replayed error
 * (a database error's `code`, a validator's details) would then answer differently the second
 * time. A portable error keeps the own enumerable properties too, and leaves the error to
 * superjson untouched when its class is registered on the library's serializer
 * (`registerClass` or `registerCustom`), which then restores an instance of that class.
 */
import { superjsonInstance } from './serializer.js';

/**
 * An error as it is stored: as it is (`value`, for superjson to store: an error of a registered
 * class, or a cause that is no `Error`), or its parts.
 */
export type PortableError = { value: unknown } | { error: ErrorParts };

/** The parts of an error whose class superjson does not know. */
export interface ErrorParts {
  name: string;
  message: string;
  /** Own enumerable properties but `stack` and `cause`, in order (`name` and `message` among them when they are). */
  props: Record<string, unknown>;
  cause?: PortableError;
}

/** What {@link ErrorParts} leaves out of `props`: the cause, kept apart, and the stack, never stored. */
const NOT_PROPS = new Set(['stack', 'cause']);

/**
 * The storable form of `value` (an error's cause, usually an `Error`), with its `cause` chain.
 * The stack is not kept: it describes the server, not the outcome, and is never replayed.
 */
export function toPortableError(value: unknown, seen: Set<unknown> = new Set()): PortableError {
  if (!(value instanceof Error) || isRegistered(value)) return { value };
  seen.add(value);
  const cause = 'cause' in value && !seen.has(value.cause) ? toPortableError(value.cause, seen) : undefined;
  return { error: { name: value.name, message: value.message, props: ownProps(value), ...(cause && { cause }) } };
}

/**
 * Rebuilds what {@link toPortableError} stored: an `Error` with the same name, message, own
 * enumerable properties (in the same order, so a spread of it gives the same JSON) and cause.
 * As with superjson's own rule, its stack is the replay's.
 */
export function fromPortableError(portable: PortableError): unknown {
  if ('value' in portable) return portable.value;
  const { name, message, props, cause } = portable.error;
  const error = new Error(message, cause && { cause: fromPortableError(cause) });
  if (!Object.hasOwn(props, 'name'))
    Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
  for (const [key, value] of Object.entries(props))
    Object.defineProperty(error, key, { value, writable: true, enumerable: true, configurable: true });
  return error;
}

/** Whether superjson would serialize `error` by a registered class or custom transformer, as superjson itself checks. */
function isRegistered(error: Error): boolean {
  const { classRegistry, customTransformerRegistry } = superjsonInstance;
  return (
    classRegistry.getIdentifier(error.constructor as new () => Error) !== undefined ||
    customTransformerRegistry.findApplicable(error) !== undefined
  );
}

/** Own enumerable properties, skipping any whose getter throws. */
function ownProps(error: Error): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (NOT_PROPS.has(key)) continue;
    try {
      const value = (error as unknown as Record<string, unknown>)[key];
      Object.defineProperty(props, key, { value, writable: true, enumerable: true, configurable: true }); // `__proto__` too
    } catch {
      // A property that cannot be read cannot be replayed either.
    }
  }
  return props;
}
