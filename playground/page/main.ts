import type { DemoSnapshot } from '../demo-state.js';
import type { Channel, ChargeRequest } from '../ledger.js';
import { clearClientLog, flagDuplicateCharges, logAttempt, logClick, logResult } from './client-log.js';
import { fetchState, prepareCrash, resetLedger } from './control-api.js';
import { byId } from './dom.js';
import { channelLabels, sendCall } from './payments.js';
import { scenarios, scenarioTitles, type CallPlan, type ScenarioName, type ScenarioTools } from './scenarios.js';
import { renderState } from './state-view.js';
import { currentSwitches, resetSwitches } from './switches.js';
import { clearVerdict, renderVerdict, verdictRunning } from './verdict.js';

/** How often the page loads the server's state: often while a scenario runs, so the server log is live. */
const REFRESH_MS = { idle: 1_000, busy: 200 };

let requestedStates = 0;
let shownState = 0;
let running = false;
let clicks = 0;

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

function channel(): Channel {
  return document.querySelector<HTMLInputElement>('input[name="channel"]:checked')?.value === 'trpc'
    ? 'trpc'
    : 'graphql';
}

function chargeRequest(): ChargeRequest {
  return {
    amountCents: Math.round(Number(byId<HTMLInputElement>('amount').value) * 100),
    description: byId<HTMLInputElement>('description').value,
  };
}

/** One click on a scenario button: runs it, logging every call and attempt, then sums it up. */
async function run(name: ScenarioName): Promise<void> {
  verdictRunning(name);
  const through = channel();
  const request = chargeRequest();
  const switches = currentSwitches();
  const before = await fetchState();
  logClick(++clicks, scenarioTitles[name], {
    channel: channelLabels[through],
    store: before.store,
    ...switches,
  });
  const tools: ScenarioTools = {
    async send(plan: CallPlan) {
      const record = await sendCall(through, switches, plan, (report) => logAttempt(plan.label, plan.request, report));
      logResult(plan.label, record.result);
      return record;
    },
    async prepareCrash() {
      await show(prepareCrash);
    },
  };
  try {
    const calls = await scenarios[name](tools, request);
    const after = await show(fetchState);
    flagDuplicateCharges(after.charges);
    renderVerdict({
      scenario: name,
      calls,
      charges: after.charges.length - before.charges.length,
      settings: switches,
      store: before.store,
    });
  } catch (error) {
    logResult(scenarioTitles[name], { ok: false, error });
    renderVerdict({ scenario: name, calls: [], charges: 0, settings: switches, store: before.store, error });
  }
}

function start(): void {
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('button[data-scenario]')];
  const inputs = [byId<HTMLInputElement>('amount'), byId<HTMLInputElement>('description')];
  for (const button of buttons) {
    button.addEventListener('click', () => {
      if (running || !inputs.every((input) => input.reportValidity())) return;
      running = true;
      for (const each of buttons) each.disabled = true;
      run(button.dataset.scenario as ScenarioName).finally(() => {
        running = false;
        for (const each of buttons) each.disabled = false;
      });
    });
  }
  resetSwitches();
  byId('reset').addEventListener('click', () => {
    clearClientLog();
    clearVerdict();
    clicks = 0;
    void show(resetLedger);
  });
  const refresh = () => {
    show(fetchState)
      .catch(() => undefined) // the server is away: the next refresh tries again
      .finally(() => setTimeout(refresh, running ? REFRESH_MS.busy : REFRESH_MS.idle));
  };
  refresh();
}

start();
