import { GraphQLError } from 'graphql';
import { IdempotencyKeyInvalidError } from '../core/errors.js';

/**
 * Reads a key carrier (an argument, a directive) with `read`, failing closed: a carrier that cannot
 * be read never means "no key". A GraphQLError (a value that does not coerce) refuses the request as
 * a malformed key (`IDEMPOTENCY_KEY_INVALID`, 400); any other error is a fault of the set-up, thrown
 * as an error that names the carrier (the server answers 500), and nothing runs either way.
 */
export function readKeyCarrier<T>(carrier: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof GraphQLError)
      throw new IdempotencyKeyInvalidError(
        `The ${carrier} could not be read for the idempotency key: ${error.message}`,
      );
    throw new Error(
      `idempotent-mutations could not read the ${carrier} for the idempotency key, so the mutation was not run: ${String(error)}`,
      { cause: error },
    );
  }
}

/** The one key the root fields carry, `undefined` when none does; throws {@link IdempotencyKeyInvalidError} with `disagreement` when they differ. */
export function oneKey(keys: readonly unknown[], disagreement: string): unknown {
  const distinct = new Set(keys.filter((key) => key !== undefined && key !== null));
  if (distinct.size > 1) throw new IdempotencyKeyInvalidError(disagreement);
  return distinct.values().next().value;
}
