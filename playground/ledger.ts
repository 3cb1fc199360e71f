/** Which API a charge came through. */
export type Channel = 'graphql' | 'trpc';

/** What a client asks for when it pays. */
export interface ChargeRequest {
  /** Amount in cents, a positive integer. */
  amountCents: number;
  /** What the payment is for. */
  description: string;
}

/** One charge in the ledger: the side effect that must happen once per click. */
export interface Charge extends ChargeRequest {
  id: string;
  channel: Channel;
  /** The `Idempotency-Key` the request carried, so the page can point out duplicates. */
  requestKey: string | null;
  createdAt: string;
}

/** The playground's stand-in for a payments database: an append-only list of charges. */
export interface Ledger {
  /** Records a charge and returns it; every call is a new charge, retries included. */
  charge(request: ChargeRequest, details: { channel: Channel; requestKey: string | null }): Charge;
  list(): Charge[];
  reset(): void;
}

/** Creates an empty ledger. */
export function createLedger(): Ledger {
  let charges: Charge[] = [];
  let counter = 0;
  return {
    charge(request, { channel, requestKey }) {
      const charge: Charge = { id: `ch_${++counter}`, ...request, channel, requestKey, createdAt: new Date().toISOString() };
      charges.push(charge);
      return charge;
    },
    list: () => [...charges],
    reset() {
      charges = [];
      counter = 0;
    },
  };
}

/** A charge request that breaks the rules; each API turns it into its own client error. */
export class InvalidChargeError extends Error {
  override name = 'InvalidChargeError';
}

/** Checks a charge request from either API; throws {@link InvalidChargeError} when it is not valid. */
export function parseChargeRequest(input: unknown): ChargeRequest {
  const { amountCents, description } = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (typeof amountCents !== 'number' || !Number.isInteger(amountCents) || amountCents <= 0 || amountCents > 1_000_000) {
    throw new InvalidChargeError('amountCents must be a whole number of cents between 1 and 1,000,000');
  }
  if (typeof description !== 'string' || description.trim() === '' || description.length > 200) {
    throw new InvalidChargeError('description must be 1 to 200 characters');
  }
  return { amountCents, description: description.trim() };
}
