import type { Charge } from '../ledger.js';

/**
 * The charges of each idempotency key that was charged more than once, oldest first: the
 * customer paid twice (or more) for one payment. A charge without a key is never a duplicate.
 */
export function duplicatesByKey(charges: Charge[]): Map<string, Charge[]> {
  const byKey = new Map<string, Charge[]>();
  for (const charge of charges) {
    if (charge.requestKey === null) continue;
    const same = byKey.get(charge.requestKey);
    if (same) same.push(charge);
    else byKey.set(charge.requestKey, [charge]);
  }
  for (const [key, same] of byKey) if (same.length < 2) byKey.delete(key);
  return byKey;
}

/** How a list item or a tile is coloured by what happened: `good` (paid once, replayed), `warn` (refused, retry), `bad` (charged twice, lost). */
export type Tone = 'good' | 'warn' | 'bad' | 'none';
