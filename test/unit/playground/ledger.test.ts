import { describe, expect, it } from 'vitest';
import { createLedger, StaleFenceError, type ChargeDetails, type LedgerWrite } from '../../../playground/ledger.js';

const tea = { amountCents: 300, description: 'Tea' };
const from = (instance: 'A' | 'B', fence: number, takeover = false): ChargeDetails => ({
  channel: 'graphql',
  requestKey: 'k1',
  instance,
  run: { paymentId: 'payment-1', fence, takeover },
});

describe('the playground ledger', () => {
  it('charges a protected run once per payment id: a larger fence writes the same charge again', async () => {
    const writes: LedgerWrite['kind'][] = [];
    const ledger = createLedger({ latencyMs: 1, onWrite: (write) => writes.push(write.kind) });
    const first = await ledger.charge(tea, from('A', 1));
    const again = await ledger.charge(tea, from('B', 2, true));
    expect(again.id).toBe(first.id);
    expect(await ledger.list()).toMatchObject([
      {
        id: 'ch_1',
        fence: 2,
        writes: [
          { instance: 'A', fence: 1 },
          { instance: 'B', fence: 2 },
        ],
      },
    ]);
    expect(writes).toEqual(['inserted', 'rewritten']);
  });

  it('refuses a write with a smaller fence than the payment holds, and changes nothing', async () => {
    const writes: LedgerWrite['kind'][] = [];
    const ledger = createLedger({ latencyMs: 1, onWrite: (write) => writes.push(write.kind) });
    await ledger.charge(tea, from('B', 2));
    await expect(ledger.charge({ ...tea, amountCents: 999 }, from('A', 1))).rejects.toThrow(StaleFenceError);
    expect(await ledger.list()).toMatchObject([{ amountCents: 300, fence: 2, writes: [{ instance: 'B', fence: 2 }] }]);
    expect(writes).toEqual(['inserted', 'refused']);
  });

  it('makes a new charge for every call without a run (the unprotected APIs)', async () => {
    const ledger = createLedger({ latencyMs: 1 });
    const details: ChargeDetails = { channel: 'trpc', requestKey: 'k1', instance: 'B' };
    await ledger.charge(tea, details);
    await ledger.charge(tea, details);
    expect((await ledger.list()).map((charge) => [charge.id, charge.fence])).toEqual([
      ['ch_1', null],
      ['ch_2', null],
    ]);
  });

  it('takes its latency before writing, and starts over after reset', async () => {
    const ledger = createLedger({ latencyMs: 50 });
    const started = Date.now();
    const charging = ledger.charge(tea, from('B', 1));
    expect(await ledger.list()).toEqual([]);
    await charging;
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await ledger.reset();
    expect(await ledger.list()).toEqual([]);
    expect((await ledger.charge(tea, from('B', 1))).id).toBe('ch_1');
  });
});
