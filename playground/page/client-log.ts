import type { ChargeRequest } from '../ledger.js';
import type { Charge } from '../ledger.js';
import { byId, fillList, make } from './dom.js';
import { duplicatesByKey, type Tone } from './duplicates.js';
import { euros, shortKey, times } from './format.js';
import type { AttemptReport } from './observed-fetch.js';
import { PaymentError, type CallResult } from './payment-call.js';

/** The switches a click ran with, recorded with it. */
export interface ClickSwitches {
  channel: string;
  store: string;
  idempotency: boolean;
  flaky: boolean;
  wait: boolean;
}

/** Lines kept; older ones scroll away for good. */
const MAX_ENTRIES = 400;
const entries: HTMLLIElement[] = [];

function add(item: HTMLLIElement): void {
  entries.push(item);
  if (entries.length > MAX_ENTRIES) entries.splice(0, entries.length - MAX_ENTRIES);
  const list = byId('client-log');
  fillList(list, byId('client-log-empty'), entries);
  list.scrollTop = list.scrollHeight;
}

const onOff = (on: boolean) => (on ? 'on' : 'off');

/** Opens a click in the log with the switches it runs with. */
export function logClick(number: number, scenario: string, switches: ClickSwitches): void {
  const text = `#${number} ${scenario} · ${switches.channel} · store ${switches.store} · idempotency ${onOff(switches.idempotency)} · flaky ${onOff(switches.flaky)} · wait ${onOff(switches.wait)}`;
  add(make('li', { text, className: 'click', data: { click: String(number) } }));
}

/** What one answer means, in a few words. */
function answerText(report: Extract<AttemptReport, { lost: false }>): string {
  if (report.replayed) return `${report.status} replayed the stored answer (no new charge)`;
  if (report.status === 409) return '409 Conflict: the first attempt is still running, retry later';
  if (report.status === 422) return '422: this key was used with other input';
  if (report.status >= 200 && report.status < 300) return `${report.status}: the server ran the payment`;
  return `${report.status}`;
}

/** How an answer is coloured: a replay is good, a 409 / 422 a refusal to heed, a lost answer or an error bad; a plain 2xx is told by the call's result. */
function attemptTone(report: AttemptReport): Tone {
  if (report.lost) return 'bad';
  if (report.replayed) return 'good';
  if (report.status === 409 || report.status === 422) return 'warn';
  return report.status >= 400 ? 'bad' : 'none';
}

/** Logs one HTTP attempt: who sent it, which key and amount, and what came back. */
export function logAttempt(label: string, request: ChargeRequest, report: AttemptReport): void {
  const sent = `${label} · attempt ${report.attempt} · key ${shortKey(report.key)} · ${euros(request.amountCents)}`;
  const status = report.lost ? 'lost' : String(report.status);
  const replayed = !report.lost && report.replayed;
  const text = report.lost
    ? `${sent} → no answer (connection dropped): retry with the same key`
    : `${sent} → ${answerText(report)}`;
  add(
    make('li', {
      text,
      className: 'attempt',
      data: { status, replayed: String(replayed), label, tone: attemptTone(report) },
    }),
  );
}

/**
 * Logs how one call ended: the charge it got (green, "paid", until {@link flagDuplicateCharges}
 * finds its key charged twice), or the error it ended with (red).
 */
export function logResult(label: string, result: CallResult): void {
  if (!result.ok) {
    const { error } = result;
    const code = error instanceof PaymentError && error.code ? `${error.status ?? ''} ${error.code}: `.trimStart() : '';
    const message = error instanceof Error ? error.message : String(error);
    add(
      make('li', {
        text: `${label}: failed, ${code}${message}`,
        className: 'result',
        data: { ok: 'false', label, tone: 'bad' },
      }),
    );
    return;
  }
  const { charge } = result;
  add(
    make('li', {
      text: `${label}: paid, charge ${charge.id} (${fenceText(charge.fence)})`,
      className: 'result',
      data: { ok: 'true', label, charge: charge.id, tone: 'good' },
    }),
  );
}

const fenceText = (fence: number | null) => (fence === null ? 'no fence: unprotected' : `fence ${fence}`);

/**
 * Turns every "paid" line whose charge shares its key with another charge in the ledger red:
 * "charged twice". Called once a click's calls have ended and the ledger is loaded.
 */
export function flagDuplicateCharges(charges: Charge[]): void {
  const duplicates = duplicatesByKey(charges);
  const byId = new Map(charges.map((charge) => [charge.id, charge]));
  for (const item of entries) {
    const charge = item.dataset.ok === 'true' ? byId.get(item.dataset.charge ?? '') : undefined;
    const same = charge?.requestKey == null ? undefined : duplicates.get(charge.requestKey);
    if (!charge || !same || item.dataset.tone === 'bad') continue;
    item.dataset.tone = 'bad';
    item.textContent = `${item.dataset.label ?? ''}: charged ${times(same.length)}: charge ${charge.id} is one of ${same.length} charges for key ${shortKey(charge.requestKey)} (${fenceText(charge.fence)})`;
  }
}

/** Empties the log: its empty state shows again. */
export function clearClientLog(): void {
  entries.length = 0;
  fillList(byId('client-log'), byId('client-log-empty'), entries);
}
