import type { Channel } from '../ledger.js';
import type { Settings } from '../settings.js';
import { observedFetch, type AttemptReport } from './observed-fetch.js';
import { payWithGraphql } from './pay-graphql.js';
import { payWithTrpc } from './pay-trpc.js';
import type { CallResult } from './payment-call.js';
import type { CallPlan, CallRecord } from './scenarios.js';

/** How the page names each channel. */
export const channelLabels: Record<Channel, string> = { graphql: 'GraphQL', trpc: 'tRPC' };

const payThrough = { graphql: payWithGraphql, trpc: payWithTrpc };

/** Sends one planned call through a channel's client helper with the page's switches, reporting each HTTP attempt as it ends. */
export async function sendCall(
  channel: Channel,
  switches: Settings,
  plan: CallPlan,
  onAttempt: (report: AttemptReport) => void,
): Promise<CallRecord> {
  const attempts: AttemptReport[] = [];
  const fetchImpl = observedFetch(switches, (report) => {
    attempts.push(report);
    onAttempt(report);
  });
  let result: CallResult;
  try {
    result = {
      ok: true,
      charge: await payThrough[channel]({ request: plan.request, key: plan.key, base: plan.base, fetchImpl }),
    };
  } catch (error) {
    result = { ok: false, error };
  }
  return { plan, attempts, result };
}
