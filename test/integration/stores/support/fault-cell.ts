import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { createIdempotencyEngine } from '../../../../src/index.js';
import { createRedisStore } from '../../../../src/stores/redis.js';
import type { FaultProxy, Outage, TransitionFault } from '../../../support/redis/fault-proxy.js';

/** Timings shared by every cell. */
export interface Timing {
  /** The engines' lease. */
  lease: number;
  /** The store's per-call timeout. */
  timeout: number;
  /** Longest a single `execute` may take before it counts as hung. */
  requestBound: number;
  /** Retries stop this long after the first call started, answered or not. */
  retryFor: number;
  /** Pause between two retries. */
  retryGap: number;
}

/** One cell of the matrix: a fault aimed at the first call of a key, and how that call's body behaves. */
export interface CellPlan {
  /** A fault on a transition (armed before the first call), or an outage the first body starts as it returns. */
  fault: TransitionFault | Outage;
  /** ioredis options of the app's client, the one behind the proxy. */
  clientOptions: RedisOptions;
  /** How long the first call's body runs. */
  runMs: number;
  /** Whether the first call's body throws an unexpected error (which frees the key). */
  throws: boolean;
}

/** What one `execute` answered: its value, or an error label such as `409`, `503`, `threw`, or `hang`. */
export type Outcome = { kind: 'ok' | 'replayed'; value: string } | { kind: 'error'; label: string } | { kind: 'hang' };

export interface Attempt {
  /** Unique per call; `A…` went through the proxy, `B…` straight to Redis. */
  caller: string;
  settledAt: number;
  outcome: Outcome;
}

/** Everything a cell observed, for the invariants and the report. */
export interface CellResult {
  /** Bodies started, counted by the bodies in Redis. */
  executions: number;
  /** Of those, bodies that threw on purpose. */
  threw: number;
  /** caller → the value its body returned. */
  produced: Map<string, string>;
  first: Attempt;
  /** Retries of the same key, from both engines, in order, then one confirmation from each. */
  retries: Attempt[];
  /** The retry that ended the loop: the first answer other than 409/503 once the first call was done. */
  final: Attempt | undefined;
  faultFired: boolean;
  /** Event types the engines reported, other than the everyday `conflict` / `replayed` / `executed`. */
  events: string[];
}

const EVERYDAY_EVENTS = new Set(['conflict', 'replayed', 'executed']);

const BODY_ERROR = 'body failed';

/** `409` / `503` for the engine's coded errors, `threw` for the body's own error, else the error's code or message. */
function errorLabel(error: unknown): string {
  const { status, code, message } = error as { status?: number; code?: string; message?: string };
  if (status === 409 || status === 503) return String(status);
  if (message === BODY_ERROR) return 'threw';
  return code ?? message ?? String(error);
}

/** `call`'s outcome, or `hang` once `ms` passed (the call itself is left running). */
async function bounded(call: Promise<Outcome>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), ms)));
  return Promise.race([call, hang]).finally(() => clearTimeout(timer));
}

const isFinal = (outcome: Outcome) => outcome.kind !== 'error' || (outcome.label !== '409' && outcome.label !== '503');

/**
 * Runs one cell: engine A (behind the proxy, `plan.clientOptions`) makes the first call of a fresh
 * key with the fault armed; meanwhile and afterwards engines B (straight to Redis) and A retry the
 * same key until an answer other than 409/503 arrives after the first call is done, or `retryFor`
 * passes; then each engine asks once more. Every body counts itself in Redis through `direct`.
 */
export async function runCell(proxy: FaultProxy, direct: Redis, timing: Timing, plan: CellPlan): Promise<CellResult> {
  const app = new Redis(proxy.url, { ...plan.clientOptions, lazyConnect: true });
  app.on('error', () => {}); // connection errors are expected here; the store reports them
  await app.connect();
  const counter = `matrix:runs:${randomUUID()}`;
  const events: string[] = [];
  const note = ({ type }: { type: string }) => {
    if (!EVERYDAY_EVENTS.has(type)) events.push(type);
  };
  const prefix = `matrix:${randomUUID()}:`; // one prefix: both engines share the records
  const engineOn = (redis: Redis) =>
    createIdempotencyEngine({
      store: createRedisStore({ redis, prefix, timeout: timing.timeout }),
      lease: timing.lease,
      onEvent: note,
    });
  const engines = { A: engineOn(app), B: engineOn(direct) };
  const produced = new Map<string, string>();
  const key = randomUUID();
  let faultFired = false;

  /** A body that counts itself, runs `runMs`, then returns a value unique to `caller` (or throws, or starts an outage). */
  const body =
    (
      caller: string,
      { runMs = 10, throws = false, outage }: { runMs?: number; throws?: boolean; outage?: Outage } = {},
    ) =>
    async () => {
      await direct.incr(counter);
      await sleep(runMs);
      if (throws) {
        await direct.incr(`${counter}:threw`);
        throw new Error(BODY_ERROR);
      }
      if (outage) {
        // Wait until the app's client has seen its connection close, so completion meets the outage.
        const closed = once(app, 'close');
        void proxy.inject(outage);
        faultFired = true;
        await closed;
      }
      const value = `${caller}:${randomUUID()}`;
      produced.set(caller, value);
      return value;
    };

  /** One call of the key from engine `name`, by `caller`, with `run` as its body (by default a short one returning its own value). */
  async function attempt(name: keyof typeof engines, caller: string, run = body(caller)): Promise<Attempt> {
    const call = engines[name].execute({ scope: 'user', operation: 'pay', key, input: { amount: 1 }, run }).then(
      ({ value, replayed }): Outcome => ({ kind: replayed ? 'replayed' : 'ok', value }),
      (error: unknown): Outcome => ({ kind: 'error', label: errorLabel(error) }),
    );
    const outcome = await bounded(call, timing.requestBound);
    return { caller, settledAt: Date.now(), outcome };
  }

  if (plan.fault.kind !== 'outage') void proxy.inject(plan.fault).then(() => (faultFired = true));
  const beginsBefore = proxy.stats.transitions.begin;
  const started = Date.now();
  const outage = plan.fault.kind === 'outage' ? plan.fault : undefined;
  let firstDone = false;
  const first = attempt('A', 'A0', body('A0', { runMs: plan.runMs, throws: plan.throws, outage })).finally(
    () => (firstDone = true),
  );

  // Retry only once the first call's begin has reached the proxy: on a loaded machine a retry could
  // otherwise claim the key first, and the fault aimed at the holder's transitions would never fire.
  while (proxy.stats.transitions.begin === beginsBefore && !firstDone) await sleep(5);
  const retries: Attempt[] = [];
  let final: Attempt | undefined;
  for (let n = 1; !final && Date.now() - started < timing.retryFor; n++) {
    await sleep(timing.retryGap);
    const name = n % 2 ? 'B' : 'A'; // alternate: straight to Redis, then through the proxy
    const retry = await attempt(name, `${name}${n}`);
    retries.push(retry);
    if (firstDone && isFinal(retry.outcome)) final = retry;
  }
  const firstAttempt = await first;
  // Once settled, the key answers every caller with the one stored value.
  retries.push(await attempt('B', 'B-last'), await attempt('A', 'A-last'));

  proxy.clear();
  app.disconnect();
  const [executions, threw] = await Promise.all([direct.get(counter), direct.get(`${counter}:threw`)]);
  return {
    executions: Number(executions ?? 0),
    threw: Number(threw ?? 0),
    produced,
    first: firstAttempt,
    retries,
    final,
    faultFired,
    events,
  };
}
