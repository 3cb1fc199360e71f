import type { Settings } from '../settings.js';
import type { StoreKind } from '../store.js';
import { byId } from './dom.js';
import { euros, plural, times } from './format.js';
import { scenarioTitles, type CallRecord, type ScenarioName } from './scenarios.js';

/** What one scenario run came to. */
export interface ScenarioSummary {
  scenario: ScenarioName;
  calls: CallRecord[];
  /** Charges the run added to the ledger. */
  charges: number;
  settings: Settings;
  /** The store the run used: on PostgreSQL a killed instance's charge rolls back with its transaction. */
  store: StoreKind;
  /** Why the run stopped before its calls ended (instance A could not start, …). */
  error?: unknown;
}

const units: Record<ScenarioName, string> = { pay: 'click', double: 'click', reuse: 'payment', crash: 'click' };

function count(calls: CallRecord[], status: string): number {
  return calls
    .flatMap((call) => call.attempts)
    .filter((attempt) => (attempt.lost ? 'lost' : String(attempt.status)) === status).length;
}

/** Why a run made exactly one charge. */
function whyOnce({ scenario, calls, settings, store }: ScenarioSummary): string {
  const conflicts = count(calls, '409');
  switch (scenario) {
    case 'pay':
      return calls[0] && calls[0].attempts.length > 1
        ? 'The answer was lost; the retry carried the same key, so the server answered it from the first run instead of charging again.'
        : 'Nothing went wrong, so nothing needed retrying.';
    case 'double':
      if (conflicts > 0)
        return 'The 2nd click arrived while the 1st was still charging: 409 Conflict. Its client retried after Retry-After and got the stored answer, the same charge.';
      return settings.wait
        ? 'With Wait on, the server held the 2nd click until the 1st finished, then replayed its answer: no 409.'
        : 'Both clicks got the same charge.';
    case 'reuse': {
      const [first, second] = calls;
      return count(calls, '422') > 0 && first && second
        ? `The key had paid ${euros(first.plan.request.amountCents)}; the ${euros(second.plan.request.amountCents)} request with the same key was refused with 422 and charged nothing.`
        : 'One charge for the key.';
    }
    case 'crash': {
      const retries = conflicts === 1 ? '1 retry' : `${conflicts} retries`;
      const meanwhile =
        conflicts > 0
          ? `B answered 409 to ${retries} while A's lease lived, then`
          : "B waited until A's lease lapsed, then";
      return store === 'postgres'
        ? `Instance A wrote its charge (fence 1) in its store transaction and was killed with SIGKILL before it answered or committed: PostgreSQL rolled that transaction back, so A's charge never reached the ledger. ${meanwhile} took over with fence 2 and wrote the charge, committed with the stored answer: one charge, written by B (fence 2) only.`
        : `Instance A charged (fence 1) and was killed with SIGKILL before it answered; its write stayed in the ledger. ${meanwhile} took over with fence 2 and wrote the same payment again (keyed by derive('payment'), fenced): one charge, written by A (fence 1) and B (fence 2).`;
    }
  }
}

const whyDuplicate: Record<ScenarioName, string> = {
  pay: 'without idempotency keys every retry charged again.',
  double: 'without idempotency keys each click charged.',
  reuse: 'without idempotency keys the key means nothing, so the second amount was charged too.',
  crash: "without idempotency keys B ran the payment again after A's crash.",
};

/** Why a crash charged twice on PostgreSQL although A was killed before it answered. */
const POSTGRES_CRASH_DUPLICATE =
  " On PostgreSQL too: the unprotected API wrote A's charge outside any store transaction, so it committed at once and stayed.";

/** Sums up a scenario run: calls, requests and charges, and why. */
export function renderVerdict(summary: ScenarioSummary): void {
  const { scenario, calls, charges } = summary;
  const requests = calls.reduce((sum, call) => sum + call.attempts.length, 0);
  const outcome = charges > 1 ? 'duplicate' : charges === 1 ? 'once' : 'failed';
  const head = `${scenarioTitles[scenario]}: ${plural(calls.length, units[scenario])}, ${plural(requests, 'request')} → ${plural(charges, 'charge')}.`;
  let why: string;
  if (outcome === 'once') why = whyOnce(summary);
  else if (outcome === 'duplicate') {
    const postgresCrash = scenario === 'crash' && summary.store === 'postgres' ? POSTGRES_CRASH_DUPLICATE : '';
    why = `The customer paid ${times(charges)}: ${whyDuplicate[scenario]}${postgresCrash}`;
  } else {
    const failure = calls.map((call) => call.result).find((result) => !result.ok);
    const error = summary.error ?? (failure && !failure.ok ? failure.error : undefined);
    why = `Nothing was charged${error === undefined ? '.' : `: ${error instanceof Error ? error.message : String(error)}`}`;
  }
  const box = byId('verdict');
  box.dataset.outcome = outcome;
  box.dataset.scenario = scenario;
  box.textContent = `${head} ${why}`;
}

/** Puts the verdict box back to its first words. */
export function clearVerdict(): void {
  const box = byId('verdict');
  box.dataset.outcome = 'none';
  delete box.dataset.scenario;
  box.textContent = 'Run a scenario: each should end in exactly one charge.';
}

/** Marks the verdict box as waiting for a run that has started. */
export function verdictRunning(scenario: ScenarioName): void {
  const box = byId('verdict');
  box.dataset.outcome = 'running';
  box.dataset.scenario = scenario;
  box.textContent = `${scenarioTitles[scenario]}: running…`;
}
