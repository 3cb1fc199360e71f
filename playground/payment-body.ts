import type { RunContext } from '../src/core/run-context.js';
import type { PaymentApiDependencies } from './api-dependencies.js';
import { parseChargeRequest, type Channel, type Charge, type FencedRun } from './ledger.js';
import { requestKeyOf } from './request-key.js';

/** The facts of a protected run the ledger keeps; none for an unprotected call or one without a key. */
function fencedRun(run: RunContext | undefined): FencedRun | undefined {
  if (run?.fence === undefined) return undefined;
  return { paymentId: run.derive('payment'), fence: run.fence, takeover: run.takeover };
}

/**
 * The body of `createCharge` / `payments.create`, the same on both APIs and both instances: writes
 * the charge with the run's payment id and fence (the README's recovery pattern), then lets
 * `afterCharge` run (instance A hangs there until it is killed). `call.run` is the resolver's
 * `context.idempotency` or the procedure's `ctx.idempotency` (absent on the unprotected twins); on
 * PostgreSQL the ledger writes through its `tx()`, so the charge commits with the stored answer.
 * Throws `InvalidChargeError` and `StaleFenceError`, which each API maps to its own error.
 */
export async function chargeOnce(
  deps: PaymentApiDependencies,
  input: unknown,
  call: { channel: Channel; headers: Headers; run: RunContext | undefined },
): Promise<Charge> {
  const request = parseChargeRequest(input);
  const charge = await deps.ledger.charge(
    request,
    {
      channel: call.channel,
      requestKey: requestKeyOf(call.headers),
      instance: deps.instance,
      run: fencedRun(call.run),
    },
    call.run,
  );
  await deps.afterCharge?.(charge, { inTransaction: deps.ledger.transactional && call.run !== undefined });
  return charge;
}
