import { setTimeout as sleep } from 'node:timers/promises';
import type { RunContext } from '../src/core/run-context.js';

/** Which API a charge came through. */
export type Channel = 'graphql' | 'trpc';

/** The two app instances: A is a separate Node process (the crash scenario), B is the playground's own process. */
export type InstanceName = 'A' | 'B';

/** What a client asks for when it pays. */
export interface ChargeRequest {
  /** Amount in cents, a positive integer. */
  amountCents: number;
  /** What the payment is for. */
  description: string;
}

/** The facts of a protected run the ledger keeps, as the README advises: a payment id stable across attempts, and the fence. */
export interface FencedRun {
  /** `idempotency.derive('payment')`: the same for every attempt of one key, so a re-run after a crash writes the same row. */
  paymentId: string;
  /** The attempt's fencing token; a write with a smaller one than the row's is refused. */
  fence: number;
  /** True when this attempt took the record over from one that crashed. */
  takeover: boolean;
}

/** One write to a charge: who wrote it, with which fence (`null` without idempotency). */
export interface ChargeWrite {
  instance: InstanceName;
  fence: number | null;
  /** True when the writing attempt had taken the record over from one that crashed. */
  takeover: boolean;
  at: string;
}

/** One charge in the ledger: the side effect that must happen once per payment. */
export interface Charge extends ChargeRequest {
  id: string;
  channel: Channel;
  /** The `Idempotency-Key` the request carried, so the page can point out duplicates. */
  requestKey: string | null;
  /** The fence of the latest write; `null` for a charge made without idempotency. */
  fence: number | null;
  /** Every write, oldest first: more than one when an attempt took over and wrote the same payment again. */
  writes: ChargeWrite[];
  createdAt: string;
}

/** Where a charge comes from. */
export interface ChargeDetails {
  channel: Channel;
  requestKey: string | null;
  instance: InstanceName;
  /** The protected run's fence and payment id; absent on the unprotected APIs, where every call is a new charge. */
  run?: FencedRun;
}

/**
 * What a write did: a new charge, the same charge written again by a newer attempt, or nothing (an
 * older attempt). `inTransaction` when it was written through the run's store transaction
 * (PostgreSQL): it commits with the stored answer, or never.
 */
export interface LedgerWrite {
  kind: 'inserted' | 'rewritten' | 'refused';
  charge: Charge;
  details: ChargeDetails;
  inTransaction: boolean;
}

/** A write with a smaller fence than the one the payment already holds: a stale attempt, refused. */
export class StaleFenceError extends Error {
  override name = 'StaleFenceError';
}

/** What the payment APIs need from the ledger: the ledger itself, or instance A's link to it. */
export interface LedgerAccess {
  /**
   * True when a protected run's charge is written through the run's store transaction
   * (`run.tx()`, the PostgreSQL ledger): it commits with the stored answer, or never.
   */
  readonly transactional: boolean;
  /**
   * Charges once per payment id (see {@link FencedRun}); every call without a run is a new charge.
   * `run` is the protected run's context (`context.idempotency`, `ctx.idempotency`), through whose
   * `tx()` a transactional ledger writes. Throws {@link StaleFenceError}.
   */
  charge(request: ChargeRequest, details: ChargeDetails, run?: RunContext): Promise<Charge>;
  /** The charges now, oldest first. */
  list(): Promise<Charge[]>;
}

/** The playground's stand-in for a payments database: in its process, or a table on PostgreSQL. */
export interface Ledger extends LedgerAccess {
  /** Empties the ledger; the next charge is `ch_1` again. */
  reset(): Promise<void>;
}

/** The write a charge records: who wrote it, with which fence, now. */
export function chargeWrite(details: ChargeDetails): ChargeWrite {
  return {
    instance: details.instance,
    fence: details.run?.fence ?? null,
    takeover: details.run?.takeover ?? false,
    at: new Date().toISOString(),
  };
}

/** The error of a write with `fence` to a payment that holds a newer one. */
export function staleFence(charge: Charge, fence: number): StaleFenceError {
  return new StaleFenceError(
    `payment ${charge.id} holds fence ${charge.fence}; a write with fence ${fence} is refused`,
  );
}

export interface LedgerOptions {
  /** How long a charge takes before it is written (the card network answering). */
  latencyMs: number;
  /** Hears every write, for the server log. */
  onWrite?: (write: LedgerWrite) => void;
}

/**
 * Creates an empty ledger in this process (memory and Redis stores). A protected run's charge is
 * keyed by its payment id and fenced, like the README's `payments.save`: the first write inserts
 * it, a write with an equal or larger fence rewrites the same charge (no second charge), a write
 * with a smaller fence is refused.
 */
export function createLedger({ latencyMs, onWrite }: LedgerOptions): Ledger {
  let charges: Charge[] = [];
  let byPayment = new Map<string, Charge>();
  let counter = 0;

  function write(request: ChargeRequest, details: ChargeDetails): Charge {
    const entry = chargeWrite(details);
    const existing = details.run && byPayment.get(details.run.paymentId);
    if (existing && details.run) {
      if ((existing.fence ?? 0) > details.run.fence) {
        onWrite?.({ kind: 'refused', charge: existing, details, inTransaction: false });
        throw staleFence(existing, details.run.fence);
      }
      Object.assign(existing, request, { fence: details.run.fence, writes: [...existing.writes, entry] });
      onWrite?.({ kind: 'rewritten', charge: { ...existing }, details, inTransaction: false });
      return { ...existing };
    }
    const charge: Charge = {
      id: `ch_${++counter}`,
      ...request,
      channel: details.channel,
      requestKey: details.requestKey,
      fence: entry.fence,
      writes: [entry],
      createdAt: entry.at,
    };
    charges.push(charge);
    if (details.run) byPayment.set(details.run.paymentId, charge);
    onWrite?.({ kind: 'inserted', charge: { ...charge }, details, inTransaction: false });
    return { ...charge };
  }

  return {
    transactional: false,
    async charge(request, details) {
      await sleep(latencyMs);
      return write(request, details);
    },
    list: async () => charges.map((charge) => ({ ...charge })),
    async reset() {
      charges = [];
      byPayment = new Map();
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
  const { amountCents, description } = (typeof input === 'object' && input !== null ? input : {}) as Record<
    string,
    unknown
  >;
  if (
    typeof amountCents !== 'number' ||
    !Number.isInteger(amountCents) ||
    amountCents <= 0 ||
    amountCents > 1_000_000
  ) {
    throw new InvalidChargeError('amountCents must be a whole number of cents between 1 and 1,000,000');
  }
  if (typeof description !== 'string' || description.trim() === '' || description.length > 200) {
    throw new InvalidChargeError('description must be 1 to 200 characters');
  }
  return { amountCents, description: description.trim() };
}
