/**
 * One cell of the adapter-fault matrix: a fault aimed at the first request of a fresh key, sent
 * through a server adapter over real HTTP, while the same client retries the key; and the invariants
 * the cell must keep.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Outage, TransitionFault } from '../../../support/redis/fault-proxy.js';
import type { Ledger, Payment } from '../../../support/adapters/ledger.js';
import { sameResult } from '../../../support/adapters/scenarios.js';
import { REFUSAL_STATUS, type Answer, type Call } from '../../../support/adapters/types.js';
import type { Timing as EngineTiming } from '../../stores/support/fault-cell.js';
import type { Adapter } from './fault-adapters.js';

/** The engine matrix's timings (its `requestBound` bounds one HTTP request here, aborted then), and a margin. */
export interface Timing extends EngineTiming {
  /** Added to the lease: how long the key may stay locked after the first request was answered. */
  margin: number;
}

/** A fault of the matrix: aimed at a transition of the first request, or an outage its body starts as it returns. */
export interface FaultPlan {
  id: string;
  title: string;
  fault: TransitionFault | Outage;
  /** Whether the first request's body throws an unexpected error (which frees the key: a second run is on purpose). */
  throws: boolean;
}

/** One request of the cell and what it got back. */
export interface Sent {
  caller: string;
  settledAt: number;
  answer: Answer;
}

export interface CellResult {
  /** Body runs, as the body counted them. */
  runs: number;
  /** What those runs returned (a run that threw returned nothing). */
  returned: Payment[];
  first: Sent;
  /** Retries while the first request was in flight and after it, until one got an answer other than 409/503 once the first was done. */
  retries: Sent[];
  /** The retry that ended the loop. */
  final: Sent | undefined;
  /** Two more requests once the loop ended: each must replay the stored result. */
  confirmations: Sent[];
  /** Faults the proxy reports as fired during the cell (`drop-reply begin #3`, `outage 700 ms`). */
  fired: string[];
}

const HANG = 'hang';
const retryable = (answer: Answer) =>
  answer.kind === 'refused' && (answer.refusal === 'conflict' || answer.refusal === 'unavailable');

/** A short label: `ok`, `replayed`, the refusal's HTTP status, `error` (the body threw), `lost`, `hang`. */
export function labelOf(answer: Answer): string {
  switch (answer.kind) {
    case 'ok':
      return answer.replayed ? 'replayed' : 'ok';
    case 'refused':
      return String(REFUSAL_STATUS[answer.refusal]);
    case 'failed':
      return 'error';
    case 'lost':
      return answer.label === HANG ? HANG : `lost (${answer.label})`;
  }
}

/** Sends `call` once, aborted (and labelled `hang`) if it takes longer than `bound`. */
async function attempt(adapter: Adapter, caller: string, call: Call, bound: number): Promise<Sent> {
  const controller = new AbortController();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    controller.abort();
  }, bound);
  const answer = await adapter.transport.send({ ...call, signal: controller.signal });
  clearTimeout(timer);
  return { caller, settledAt: Date.now(), answer: hung ? { kind: 'lost', label: HANG, problems: [] } : answer };
}

/**
 * Runs one cell: the first request of a fresh key with the fault armed (or, for an outage, started
 * by the body as it returns, once the app's Redis connection is gone); once its `begin` reached the
 * proxy, the client retries the same key every `retryGap` until an answer other than 409/503 arrives
 * after the first request was answered, or `retryFor` passes; then it asks twice more.
 */
export async function runCell(
  adapter: Adapter,
  ledger: Ledger,
  timing: Timing,
  plan: FaultPlan,
  key: string,
): Promise<CellResult> {
  const { proxy } = adapter;
  const call: Call = { op: plan.throws ? 'flaky' : 'pay', user: 'alice', key, amount: 7 };
  const firedBefore = proxy.stats.fired.length;
  const { fault } = plan;
  if (fault.kind === 'outage') {
    const hold = ledger.hold(key);
    void hold.started.then(async () => {
      const closed = once(adapter.redis, 'close');
      void proxy.inject(fault);
      // Return once the app's client saw its connection close, so completion meets the outage (never later than the outage's end).
      await Promise.race([closed, sleep(fault.ms)]);
      hold.release();
    });
  } else {
    void proxy.inject(fault);
  }

  const beginsBefore = proxy.stats.transitions.begin;
  const started = Date.now();
  let firstDone = false;
  const first = attempt(adapter, 'first', call, timing.requestBound).finally(() => (firstDone = true));
  // Retry only once the first request's begin reached the proxy: a retry must not claim the key first.
  while (proxy.stats.transitions.begin === beginsBefore && !firstDone) await sleep(5);

  const retries: Sent[] = [];
  let final: Sent | undefined;
  for (let n = 1; !final && Date.now() - started < timing.retryFor; n++) {
    await sleep(timing.retryGap);
    const retry = await attempt(adapter, `retry ${n}`, call, timing.requestBound);
    retries.push(retry);
    if (firstDone && !retryable(retry.answer)) final = retry;
  }
  const firstSent = await first;
  const confirmations = [
    await attempt(adapter, 'confirm 1', call, timing.requestBound),
    await attempt(adapter, 'confirm 2', call, timing.requestBound),
  ];
  proxy.clear();

  const operation = adapter.transport.operation(call.op);
  return {
    runs: ledger.runs(operation, call.user, key),
    returned: ledger.returned(operation, call.user, key),
    first: firstSent,
    retries,
    final,
    confirmations,
    fired: proxy.stats.fired.slice(firedBefore),
  };
}

/**
 * The invariants one cell must keep, as readable violations (none when it passed): the fault fired;
 * the body ran at most once (twice for the throwing body: the key is freed after it threw, on
 * purpose) and returned at most once; every successful answer is this caller's and identical to
 * what the one execution returned; the key answered with the result within lease + margin of the
 * first request being answered, and replays it afterwards; no request hung or was lost; nothing was
 * refused other than 409/503 while the key was settling.
 */
export function violations(result: CellResult, timing: Timing, plan: FaultPlan, key: string): string[] {
  const found: string[] = [];
  const { first, retries, final, confirmations, returned } = result;
  if (result.fired.length === 0) found.push('the fault never fired: the cell tested nothing');
  const allowedRuns = plan.throws ? 2 : 1;
  if (result.runs > allowedRuns) found.push(`the body ran ${result.runs} times (at most ${allowedRuns})`);
  if (returned.length > 1) found.push(`the body returned ${returned.length} times`);
  const original = returned[0];

  for (const { caller, answer } of [first, ...retries, ...confirmations]) {
    found.push(...answer.problems.map((problem) => `${caller}: ${problem}`));
    if (answer.kind === 'ok') {
      const { user, key: itsKey, amount } = answer.value;
      if (user !== 'alice' || itsKey !== key || amount !== 7)
        found.push(
          `${caller} received another caller's result (${String(user)}, ${String(itsKey)}, ${String(amount)})`,
        );
      if (!sameResult(answer.value, original))
        found.push(`${caller} got a result that differs from what the one execution returned`);
    } else if (answer.kind === 'refused' && !retryable(answer)) {
      found.push(`${caller} was refused: ${answer.label}`);
    } else if (answer.kind === 'failed' && !(plan.throws && caller === 'first')) {
      found.push(`${caller} got an error: ${answer.label}`);
    } else if (answer.kind === 'lost') {
      found.push(
        answer.label === HANG
          ? `${caller} hung for over ${timing.requestBound} ms`
          : `${caller} got no answer: ${answer.label}`,
      );
    }
  }
  if (plan.throws && first.answer.kind !== 'failed')
    found.push(`the throwing body's request got ${labelOf(first.answer)}, not its error`);

  if (!final) {
    found.push(`no answer other than 409/503 within ${timing.retryFor} ms: the key stayed locked`);
    return found;
  }
  if (final.answer.kind !== 'ok') found.push(`the retries ended with ${labelOf(final.answer)}, not the result`);
  const lockedFor = final.settledAt - first.settledAt;
  if (lockedFor > timing.lease + timing.margin)
    found.push(
      `the key stayed locked ${lockedFor} ms after the first request was answered (bound: lease + ${timing.margin} ms)`,
    );
  for (const { caller, answer } of confirmations) {
    if (answer.kind !== 'ok' || !answer.replayed)
      found.push(`${caller} got ${labelOf(answer)} once the key was settled, not the replay`);
  }
  return found;
}
