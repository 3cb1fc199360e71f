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

/** Bumped by every change made on this page, so a periodic refresh started before it cannot undo it on screen. */
let localChanges = 0;

async function refresh(): Promise<void> {
  const changesBefore = localChanges;
  try {
    const state = await fetchState();
    if (changesBefore === localChanges) renderState(state);
  } catch {
    // The server is away; the next refresh tries again.
  }
}

/** Runs a change made on this page and shows the state it answers with. */
function change(action: () => Promise<DemoSnapshot>, then?: () => void): void {
  localChanges += 1;
  void action().then((state) => {
    renderState(state);
    then?.();
  });
}

function chargeRequest(): ChargeRequest {
  return { amountCents: Math.round(Number(input('amount').value) * 100), description: input('description').value };
}

/** One click on a Pay button: pays through the chosen API and sums up what happened. */
async function pay(channel: keyof typeof channels): Promise<void> {
  localChanges += 1;
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
  const state = await fetchState();
  renderState(state);
  const charges = state.charges.length - before;
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
    input(name).addEventListener('change', () => change(() => updateSettings({ [name]: input(name).checked })));
  }
  document.getElementById('reset')?.addEventListener('click', () =>
    change(resetLedger, () => {
      document.getElementById('log')?.replaceChildren();
      clearVerdict();
    }),
  );
  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
}

start();
