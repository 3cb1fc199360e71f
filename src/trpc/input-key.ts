import { IdempotencyKeyInvalidError } from '../core/errors.js';

/**
 * The key a raw input carries in `field`: an own property of an object input, or the entry of a
 * `FormData` input (a `File` there is not a key, and is refused as one). `undefined` when absent.
 * A form that repeats the field is refused, as a header sent twice is: no value is picked silently.
 */
export function inputKey(input: unknown, field: string): unknown {
  if (input instanceof FormData) {
    const values = input.getAll(field);
    if (values.length > 1)
      throw new IdempotencyKeyInvalidError(
        `The form field \`${field}\` (the Idempotency-Key) was sent more than once.`,
      );
    return values[0];
  }
  return typeof input === 'object' && input !== null && Object.hasOwn(input, field)
    ? (input as Record<string, unknown>)[field]
    : undefined;
}
