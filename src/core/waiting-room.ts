import { setTimeout as sleep } from 'node:timers/promises';
import type { BeginOutcome, BeginRequest, IdempotencyStore } from './store.js';

/**
 * How one wait ended: the shared poll made this waiter's own `begin` and it answered `outcome`
 * (or failed with `error`); the record's state changed under another waiter's `begin` (`changed`:
 * make your own `begin` now, with your own fingerprint); the waiter's deadline passed (`expired`);
 * or `maxWaiters` were waiting already (`full`).
 */
export type WaitResult =
  { outcome: BeginOutcome } | { error: unknown } | { changed: true } | { expired: true } | { full: true };

interface Waiter {
  request: BeginRequest;
  deadline: number;
  resolve: (result: WaitResult) => void;
}

const FIRST_POLL_MS = 20;
const LONGEST_POLL_MS = 200;

/**
 * Where requests that found their record running wait for it, one polling loop per record: the
 * loop sends the `begin` of its longest waiting request only (20 ms, growing to 200 ms apart), so
 * the store sees one poll per record however many requests wait on it. Once that `begin` finds the
 * record no longer running, its request gets that answer and every other waiter is told
 * `changed`, to make its own `begin` (its own fingerprint may mismatch, its own owner token may
 * take the record). A waiter's deadline is checked between polls, never while its own `begin` is
 * in flight, so no record is claimed for a request that already gave up.
 */
export function createWaitingRoom(store: IdempotencyStore, maxWaiters: number) {
  const rooms = new Map<string, Waiter[]>();

  async function poll(id: string, waiters: Waiter[]): Promise<void> {
    try {
      for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 1.5, LONGEST_POLL_MS)) {
        if (expire(waiters) === 0) return;
        const nextDeadline = Math.min(...waiters.map((waiter) => waiter.deadline));
        await sleep(Math.max(0, Math.min(pollMs, nextDeadline - performance.now())));
        if (expire(waiters) === 0) return;
        const polling = waiters[0]!;
        let result: WaitResult;
        try {
          const outcome = await store.begin(polling.request);
          if (outcome.status === 'running') continue;
          result = { outcome };
        } catch (error) {
          result = { error };
        }
        waiters.splice(waiters.indexOf(polling), 1);
        polling.resolve(result);
        for (const waiter of waiters.splice(0)) waiter.resolve({ changed: true });
        return;
      }
    } finally {
      rooms.delete(id);
    }
  }

  return {
    /** Waits, with the other requests on the same record, until its state changes or `deadline` passes. */
    wait(request: BeginRequest, deadline: number): Promise<WaitResult> {
      const waiters = rooms.get(request.id);
      if (waiters && waiters.length >= maxWaiters) return Promise.resolve({ full: true });
      return new Promise((resolve) => {
        const waiter = { request, deadline, resolve };
        if (waiters) waiters.push(waiter);
        else {
          const room = [waiter];
          rooms.set(request.id, room);
          void poll(request.id, room);
        }
      });
    },
  };
}

/** Tells every waiter whose deadline has passed so and drops it; returns how many are left. */
function expire(waiters: Waiter[]): number {
  const now = performance.now();
  for (let index = waiters.length - 1; index >= 0; index--) {
    const waiter = waiters[index]!;
    if (waiter.deadline > now) continue;
    waiters.splice(index, 1);
    waiter.resolve({ expired: true });
  }
  return waiters.length;
}
