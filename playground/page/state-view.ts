import type { DemoSnapshot } from '../demo-state.js';
import { byId } from './dom.js';
import { duplicatesByKey, type Tone } from './duplicates.js';
import { renderLedger } from './ledger-view.js';
import { renderServerLog } from './server-log-view.js';

/** The colour of a counter tile showing `value` (a zero is uncoloured). */
const tileTones: Record<string, (value: number, state: DemoSnapshot) => Tone> = {
  requests: () => 'none',
  lost: () => 'bad', // the network lost an answer
  replayed: () => 'good', // a retry got the stored answer, nothing charged again
  conflicts: () => 'warn', // told to retry later
  mismatches: () => 'warn', // a reused key refused, nothing charged
  takeovers: () => 'good', // a crashed attempt finished by another instance, charged once
  charges: (_, state) => (duplicatesByKey(state.charges).size > 0 ? 'bad' : 'good'), // red when a key was charged twice
};

/** Shows the server's state: store badge, counters (each tile coloured by what it counts), server log, instances and the ledger. */
export function renderState(state: DemoSnapshot): void {
  byId('store').textContent = `store: ${state.store}`;
  byId('lease').textContent = `${state.timing.leaseMs / 1000} s`;
  const counters = {
    requests: state.counters.requests,
    lost: state.counters.lostResponses,
    replayed: state.counters.replayed,
    conflicts: state.counters.conflicts,
    mismatches: state.counters.mismatches,
    takeovers: state.counters.takeovers,
    charges: state.charges.length,
  };
  for (const [id, value] of Object.entries(counters)) {
    const shown = byId(id);
    shown.textContent = String(value);
    const tile = shown.parentElement;
    if (tile) tile.dataset.tone = value === 0 ? 'none' : (tileTones[id]?.(value, state) ?? 'none');
  }
  renderServerLog(state.serverLog, state.instances);
  renderLedger(state.charges, state.store);
}
