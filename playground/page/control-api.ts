import type { DemoSnapshot } from '../demo-state.js';
import type { Settings } from '../settings.js';

async function json(response: Promise<Response>): Promise<DemoSnapshot> {
  const answer = await response;
  if (!answer.ok) throw new Error(`${answer.status} ${await answer.text()}`);
  return (await answer.json()) as DemoSnapshot;
}

/** The store, switches, counters and charges, as the server sees them now. */
export function fetchState(): Promise<DemoSnapshot> {
  return json(fetch('/api/state', { cache: 'no-store' }));
}

/** Flips switches on the server. */
export function updateSettings(change: Partial<Settings>): Promise<DemoSnapshot> {
  return json(fetch('/api/settings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(change) }));
}

/** Empties the ledger and zeroes the counters. */
export function resetLedger(): Promise<DemoSnapshot> {
  return json(fetch('/api/reset', { method: 'POST' }));
}
