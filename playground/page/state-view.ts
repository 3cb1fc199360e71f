import type { DemoSnapshot } from '../demo-state.js';
import { byId } from './dom.js';
import { renderLedger } from './ledger-view.js';
import { renderServerLog } from './server-log-view.js';

/** Shows the server's state: store badge, switches, counters, server log, instances and the ledger. */
export function renderState(state: DemoSnapshot): void {
  byId('store').textContent = `store: ${state.store}`;
  byId('lease').textContent = `${state.timing.leaseMs / 1000} s`;
  for (const name of ['flaky', 'idempotency', 'wait'] as const)
    byId<HTMLInputElement>(name).checked = state.settings[name];
  const counters = {
    requests: state.counters.requests,
    lost: state.counters.lostResponses,
    replayed: state.counters.replayed,
    conflicts: state.counters.conflicts,
    mismatches: state.counters.mismatches,
    takeovers: state.counters.takeovers,
    charges: state.charges.length,
  };
  for (const [id, value] of Object.entries(counters)) byId(id).textContent = String(value);
  renderServerLog(state.serverLog, state.instances);
  renderLedger(state.charges);
}
