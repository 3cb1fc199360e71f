/**
 * The key a raw input carries in `field`: an own property of an object input, or the entry of a
 * `FormData` input (a `File` there is not a key, and is refused as one). `undefined` when absent.
 */
export function inputKey(input: unknown, field: string): unknown {
  if (input instanceof FormData) return input.get(field) ?? undefined;
  return typeof input === 'object' && input !== null && Object.hasOwn(input, field) ? (input as Record<string, unknown>)[field] : undefined;
}
