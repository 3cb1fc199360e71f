import type { DemoSnapshot } from '../demo-state.js';
import type { ChargeRequest } from '../ledger.js';
import { fetchState, resetLedger, updateSettings } from './control-api.js';
import { observedFetch } from './observed-fetch.js';
import { payWithGraphql } from './pay-graphql.js';
import { payWithTrpc } from './pay-trpc.js';
import { clearVerdict, logAttempt, logLine, renderState, renderVerdict } from './render.js';

const REFRESH_MS = 1_000;
const channels = { graphql: { label: 'GraphQL', pay: payWithGraphql }, trpc: { label: 'tRPC', pay: payWithTrpc } };

function input(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

let requestedStates = 0;
let shownState = 0;

/**
 * Loads the server's state and shows it, unless a state asked for later is already on screen:
 * a periodic refresh that was slower than a click must not put older numbers back.
 */
async function show(load: () => Promise<DemoSnapshot>): Promise<DemoSnapshot> {
  const ticket = ++requestedStates;
  const state = await load();
  if (ticket > shownState) {
    shownState = ticket;
    renderState(state);
  }
  return state;
}

function chargeRequest(): ChargeRequest {
  return { amountCents: Math.round(Number(input('amount').value) * 100), description: input('description').value };
}

/** One click on a Pay button: pays through the chosen API and sums up what happened. */
async function pay(channel: keyof typeof channels): Promise<void> {
  const { label, pay: payThrough } = channels[channel];
  const before = (await fetchState()).charges.length;
  let requests = 0;
  const fetchImpl = observedFetch((report) => {
    requests = report.attempt;
    logAttempt(label, report);
  });
  let failure: string | undefined;
  try {
    await payThrough(chargeRequest(), fetchImpl);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    logLine(`${label}: payment failed: ${failure}`, 'lost');
  }
  const charges = (await show(fetchState)).charges.length - before;
  if (failure !== undefined) renderVerdict({ outcome: 'failed', requests, charges, message: failure });
  else renderVerdict({ outcome: charges > 1 ? 'duplicate' : 'once', requests, charges });
}

function whileBusy(buttons: HTMLButtonElement[], task: () => Promise<void>): void {
  for (const button of buttons) button.disabled = true;
  task().finally(() => {
    for (const button of buttons) button.disabled = false;
  });
}

function start(): void {
  const form = document.getElementById('payment') as HTMLFormElement;
  const buttons = [...form.querySelectorAll('button')];
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const channel = (event.submitter as HTMLButtonElement | null)?.value;
    if (channel === 'graphql' || channel === 'trpc') whileBusy(buttons, () => pay(channel));
  });
  for (const name of ['flaky', 'idempotency'] as const) {
    input(name).addEventListener('change', () => void show(() => updateSettings({ [name]: input(name).checked })));
  }
  document.getElementById('reset')?.addEventListener('click', () => {
    document.getElementById('log')?.replaceChildren();
    clearVerdict();
    void show(resetLedger);
  });
  const refresh = () => show(fetchState).catch(() => undefined); // the server is away: the next refresh tries again
  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
}

start();
