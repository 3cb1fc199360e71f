import type { Attempt, CellResult, Outcome, Timing } from './fault-cell.js';

/** How long a key may stay locked after the first call was done: a lease, plus this for the retry cadence. */
export const LOCK_MARGIN_MS = 500;

export const labelOf = (outcome: Outcome): string => (outcome.kind === 'error' ? outcome.label : outcome.kind);

/**
 * The invariants one cell must keep, as readable violations (none when it passed): the body ran at
 * most once (a body that threw frees the key, so one more run may follow it), no caller got
 * another caller's value, the key was answered again within a lease of the first call being done,
 * and no call hung.
 */
export function violations(result: CellResult, timing: Timing): string[] {
  const found: string[] = [];
  const { first, retries, final, produced } = result;
  const attempts = [first, ...retries];

  if (!result.faultFired) found.push('the fault never fired: the cell tested nothing');
  const returned = result.executions - result.threw;
  if (returned > 1) found.push(`the body ran ${returned} times to completion`);

  const executed = [...produced.values()];
  for (const { caller, outcome } of attempts) {
    if (outcome.kind === 'hang') found.push(`${caller} hung for over ${timing.requestBound} ms`);
    if (outcome.kind === 'ok' && outcome.value !== produced.get(caller))
      found.push(`${caller} got ${outcome.value}, not its own body's value`);
    if (outcome.kind === 'replayed' && (executed.length !== 1 || outcome.value !== executed[0])) {
      found.push(
        `${caller} replayed ${outcome.value}, not the one execution's value (${executed.join(', ') || 'none'})`,
      );
    }
  }

  if (!final) {
    found.push(`no answer other than 409/503 within ${timing.retryFor} ms: the key stayed locked`);
    return found;
  }
  if (final.outcome.kind === 'error' || final.outcome.kind === 'hang')
    found.push(`${final.caller} ended the retries with ${labelOf(final.outcome)}`);
  const lockedFor = final.settledAt - first.settledAt;
  if (lockedFor > timing.lease + LOCK_MARGIN_MS) {
    found.push(
      `the key stayed locked ${lockedFor} ms after the first call was done (bound: lease + ${LOCK_MARGIN_MS} ms)`,
    );
  }
  const later: Attempt[] = retries.slice(retries.indexOf(final) + 1);
  for (const { caller, outcome } of later) {
    if (outcome.kind !== 'replayed') found.push(`${caller} got ${labelOf(outcome)} after the key was settled`);
  }
  return found;
}
