import type { DemoSnapshot } from '../demo-state.js';
import type { Charge } from '../ledger.js';
import type { AttemptReport } from './observed-fetch.js';

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found;
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** Formats cents as euros: 2500 → "€25.00". */
export function euros(cents: number): string {
  return `€${(cents / 100).toFixed(2)}`;
}

function ledgerRow(charge: Charge, duplicateOf: Charge | undefined): HTMLTableRowElement {
  const row = document.createElement('tr');
  if (duplicateOf) row.className = 'duplicate';
  row.append(
    cell(charge.id),
    cell(euros(charge.amountCents)),
    cell(charge.description),
    cell(charge.channel === 'graphql' ? 'GraphQL' : 'tRPC'),
    cell(charge.requestKey ?? '—', 'key'),
    cell(duplicateOf ? `duplicate of ${duplicateOf.id}: same key, charged again` : '', 'duplicate-note'),
  );
  return row;
}

/** Shows the server's state: store badge, switches, counters and the ledger (duplicates marked). */
export function renderState(state: DemoSnapshot): void {
  element('store').textContent = `store: ${state.store}`;
  (element('flaky') as HTMLInputElement).checked = state.settings.flaky;
  (element('idempotency') as HTMLInputElement).checked = state.settings.idempotency;
  element('requests').textContent = String(state.counters.requests);
  element('lost').textContent = String(state.counters.lostResponses);
  element('replayed').textContent = String(state.counters.replayed);
  element('charges').textContent = String(state.charges.length);
  const firstByKey = new Map<string, Charge>();
  const rows = state.charges.map((charge) => {
    const first = charge.requestKey === null ? undefined : firstByKey.get(charge.requestKey);
    if (charge.requestKey !== null && !first) firstByKey.set(charge.requestKey, charge);
    return ledgerRow(charge, first);
  });
  element('ledger').replaceChildren(...rows.reverse());
}

/** Adds one line to the client log. */
export function logLine(text: string, className = ''): void {
  const item = document.createElement('li');
  item.textContent = text;
  item.className = className;
  const log = element('log');
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

/** Describes one HTTP attempt in the client log. */
export function logAttempt(channel: string, report: AttemptReport): void {
  const key = report.key ? `key ${report.key.replace(/^"|"$/g, '').slice(0, 8)}…` : 'no key';
  if (report.lost) logLine(`${channel} request ${report.attempt} (${key}): no response (lost on the way back) → retry with the same key`, 'lost');
  else if (report.replayed) logLine(`${channel} request ${report.attempt} (${key}): ${report.status}, replayed the stored result (no new charge)`, 'replayed');
  else logLine(`${channel} request ${report.attempt} (${key}): ${report.status}, the server ran the payment`);
}

/** How one click ended, shown in the verdict box. */
export type Verdict =
  | { outcome: 'once' | 'duplicate'; requests: number; charges: number }
  | { outcome: 'failed'; requests: number; charges: number; message: string };

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function times(count: number): string {
  return count === 2 ? 'twice' : `${count} times`;
}

/** Sums up the last click: how many requests it took and how many charges it made. */
export function renderVerdict(verdict: Verdict): void {
  const box = element('verdict');
  box.dataset.outcome = verdict.outcome;
  const summary = `Last click: ${plural(verdict.requests, 'request')} → ${plural(verdict.charges, 'charge')}.`;
  if (verdict.outcome === 'failed') box.textContent = `${summary} The payment failed: ${verdict.message}`;
  else if (verdict.outcome === 'duplicate') box.textContent = `${summary} The customer paid ${times(verdict.charges)} for one click: every retry charged again.`;
  else if (verdict.requests > 1) box.textContent = `${summary} The retry carried the same key, so the server answered it from the first run instead of charging again.`;
  else box.textContent = `${summary} Nothing went wrong, so nothing needed retrying.`;
}

/** Puts the verdict box back to its first words. */
export function clearVerdict(): void {
  const box = element('verdict');
  box.dataset.outcome = 'none';
  box.textContent = 'Press a Pay button: one click should be one charge.';
}
