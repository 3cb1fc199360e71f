import SuperJSON from 'superjson';

/**
 * The one superjson instance used for stored results and fingerprints, so `Date`, `Map`, `Set`,
 * `BigInt` and `undefined` survive a replay with their types.
 */
export const serializer = new SuperJSON();
