import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BeginOutcome, IdempotencyStore } from '../../../src/core/store.js';

/** What every mutation body of the matrix returns: the caller (user, key, input) is in it, so a result handed to another caller shows. */
export interface Payment {
  /** Unique per execution: a second run of the body returns another id. */
  id: string;
  user: string;
  key: string | null;
  amount: number;
  /** How often the body has run for this operation, user and key, this run included. */
  run: number;
  fence: number | null;
  at: Date;
}

/** One execution of a body, as the adapter hands it over. */
export interface BodyCall {
  /** The record's operation identity (GraphQL root field, tRPC path). */
  operation: string;
  user: string | undefined;
  /** The key the adapter resolved (`ctx.idempotency.key`). */
  key: string | undefined;
  amount: number;
  fence: number | undefined;
  /** Throws an unexpected error on its first run for a user and key. */
  flaky: boolean;
}

interface Hold {
  started: Promise<void>;
  start(): void;
  released: Promise<void>;
  release(): void;
}

/**
 * The mutation bodies of every transport: each counts its own executions per (operation, user, key),
 * remembers what it returned, and can be held open (per key) or slowed down (per key).
 */
export class Ledger {
  private readonly counts = new Map<string, number>();
  private readonly outputs = new Map<string, Payment[]>();
  private readonly holds = new Map<string, Hold>();
  private readonly delays = new Map<string, number>();

  async run(call: BodyCall): Promise<Payment> {
    const slot = slotOf(call.operation, call.user ?? '', call.key);
    const run = (this.counts.get(slot) ?? 0) + 1;
    this.counts.set(slot, run);
    const hold = call.key === undefined ? undefined : this.holds.get(call.key);
    if (hold) {
      hold.start();
      await hold.released;
    }
    const delay = call.key === undefined ? undefined : this.delays.get(call.key);
    if (delay) await sleep(delay);
    if (call.flaky && run === 1) throw new Error('database connection lost');
    const payment: Payment = {
      id: randomUUID(),
      user: call.user ?? '',
      key: call.key ?? null,
      amount: call.amount,
      run,
      fence: call.fence ?? null,
      at: new Date(Date.UTC(2024, 0, 1, 0, 0, run)),
    };
    this.outputs.set(slot, [...(this.outputs.get(slot) ?? []), payment]);
    return payment;
  }

  /** How often the body of `operation` ran for `user` and `key`. */
  runs(operation: string, user: string, key: string): number {
    return this.counts.get(slotOf(operation, user, key)) ?? 0;
  }

  /** What those runs returned (a run that threw returned nothing). */
  returned(operation: string, user: string, key: string): Payment[] {
    return this.outputs.get(slotOf(operation, user, key)) ?? [];
  }

  /** Holds every body run with `key` until `release()`; `started` resolves once one runs. */
  hold(key: string): { started: Promise<void>; release(): void } {
    let start!: () => void;
    let release!: () => void;
    const hold: Hold = {
      started: new Promise<void>((resolve) => (start = resolve)),
      start: () => start(),
      released: new Promise<void>((resolve) => (release = resolve)),
      release: () => {
        this.holds.delete(key);
        release();
      },
    };
    this.holds.set(key, hold);
    return { started: hold.started, release: hold.release };
  }

  /** Makes every body run with `key` take `ms` longer. */
  slow(key: string, ms: number): void {
    this.delays.set(key, ms);
  }
}

function slotOf(operation: string, user: string, key: string | undefined): string {
  return JSON.stringify([operation, user, key ?? null]);
}

/**
 * Wraps a store to see requests arrive at the engine: for each record id, the attempts (owner
 * tokens) whose `begin` has been answered. Once N attempts with one key are answered, all N
 * requests have been decided (acquired, refused, or are waiting), whatever the transport.
 */
export function observeStore(store: IdempotencyStore): { store: IdempotencyStore; answered(recordId: string): number } {
  const owners = new Map<string, Set<string>>();
  return {
    store: {
      begin: async (request): Promise<BeginOutcome> => {
        const outcome = await store.begin(request);
        const seen = owners.get(request.id) ?? new Set<string>();
        seen.add(request.owner);
        owners.set(request.id, seen);
        return outcome;
      },
      extend: (request) => store.extend(request),
      complete: (request) => store.complete(request),
      release: (request) => store.release(request),
    },
    answered: (recordId) => owners.get(recordId)?.size ?? 0,
  };
}
