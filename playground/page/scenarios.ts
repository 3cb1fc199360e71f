import { newIdempotencyKey } from '../../src/core/client-key.js';
import type { ChargeRequest } from '../ledger.js';
import type { AttemptReport } from './observed-fetch.js';
import type { CallResult } from './payment-call.js';

/** The scenarios the page runs. */
export type ScenarioName = 'pay' | 'double' | 'reuse' | 'crash';

/** How the page names each scenario. */
export const scenarioTitles: Record<ScenarioName, string> = {
  pay: 'Pay',
  double: 'Double-click',
  reuse: 'Reuse key',
  crash: 'Crash',
};

/** Time between the two clicks of a double click. */
export const DOUBLE_CLICK_GAP_MS = 100;
/** What the second payment of "Reuse key" adds to the amount: €1.00. */
export const REUSE_EXTRA_CENTS = 100;

/** One payment call a scenario makes. */
export interface CallPlan {
  /** How the logs name the call: "click", "2nd click", … */
  label: string;
  request: ChargeRequest;
  /** The key the app chose; without it the client helper mints one. */
  key?: string;
  /** `''` for instance B, `'/cluster'` for the load balancer in front of A and B. */
  base: '' | '/cluster';
}

/** One call as it went: what was planned, every HTTP attempt, and how it ended. */
export interface CallRecord {
  plan: CallPlan;
  attempts: AttemptReport[];
  result: CallResult;
}

/** What a scenario can do: send a call, and put instance A in front of the load balancer. */
export interface ScenarioTools {
  send(plan: CallPlan): Promise<CallRecord>;
  prepareCrash(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each scenario: the calls it sends, in the order and overlap a user would cause. */
export const scenarios: Record<ScenarioName, (tools: ScenarioTools, request: ChargeRequest) => Promise<CallRecord[]>> =
  {
    /** One click; the client helper mints its key. */
    pay: async ({ send }, request) => [await send({ label: 'click', request, base: '' })],

    /** The app minted one key when the form opened; both clicks send it while the first still runs. */
    async double({ send }, request) {
      const key = newIdempotencyKey();
      const first = send({ label: '1st click', request, key, base: '' });
      await sleep(DOUBLE_CLICK_GAP_MS);
      const second = send({ label: '2nd click', request, key, base: '' });
      return Promise.all([first, second]);
    },

    /** A payment, then another for €1.00 more that (wrongly) reuses its key. */
    async reuse({ send }, request) {
      const key = newIdempotencyKey();
      const first = await send({ label: '1st payment', request, key, base: '' });
      const second = await send({
        label: '2nd payment',
        request: { ...request, amountCents: request.amountCents + REUSE_EXTRA_CENTS },
        key,
        base: '',
      });
      return [first, second];
    },

    /** Instance A takes the first attempt, charges and is killed; the load balancer sends the retries to B. */
    async crash({ send, prepareCrash }, request) {
      await prepareCrash();
      return [await send({ label: 'click', request, base: '/cluster' })];
    },
  };
