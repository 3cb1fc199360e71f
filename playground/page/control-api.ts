import type { DemoSnapshot } from '../demo-state.js';

async function json(response: Promise<Response>): Promise<DemoSnapshot> {
  const answer = await response;
  if (!answer.ok) {
    const text = await answer.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: the text is the message
    }
    throw new Error(`${answer.status}: ${message}`);
  }
  return (await answer.json()) as DemoSnapshot;
}

/** The store, timing, counters, charges, server log and instances, as the server sees them now. */
export function fetchState(): Promise<DemoSnapshot> {
  return json(fetch('/api/state', { cache: 'no-store' }));
}

/** Empties the ledger and the server log and zeroes the counters. */
export function resetLedger(): Promise<DemoSnapshot> {
  return json(fetch('/api/reset', { method: 'POST' }));
}

/** Puts instance A in front of the load balancer (starting a new process unless one stands by). */
export function prepareCrash(): Promise<DemoSnapshot> {
  return json(fetch('/api/crash/prepare', { method: 'POST' }));
}
