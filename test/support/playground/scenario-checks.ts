import type { ExpectStatic } from 'vitest';
import type { Channel, Charge } from '../../../playground/ledger.js';
import type { StoreKind } from '../../../playground/store.js';
import type { PageDriver, ShownAttempt, Switches } from './page-driver.js';

/** What one scenario run left on the page and in the ledger. */
export interface RunResult {
  outcome: string;
  verdict: string;
  attempts: ShownAttempt[];
  counters: Awaited<ReturnType<PageDriver['counters']>>;
  serverKinds: string[];
  ledgerRows: number;
  charges: Charge[];
}

/** Where a scenario ran: the page's channel and the playground's store. */
export interface RunPlace {
  channel: Channel;
  store: StoreKind;
}

/** One scenario with its switches, and what must hold after it ran. */
export interface ScenarioCase {
  name: string;
  scenario: 'pay' | 'double' | 'reuse' | 'crash';
  switches: Switches;
  check(expect: ExpectStatic, run: RunResult, place: RunPlace): void;
}

const on: Switches = { idempotency: true, flaky: false, wait: false };
const off: Switches = { idempotency: false, flaky: false, wait: false };
const statuses = (attempts: ShownAttempt[]) =>
  attempts.map((attempt) => (attempt.replayed ? `${attempt.status} replayed` : attempt.status));
const zero = { requests: 0, lost: 0, replayed: 0, conflicts: 0, mismatches: 0, takeovers: 0 };

/** Every scenario of the page, with idempotency on and off. */
export const scenarioCases: ScenarioCase[] = [
  {
    name: 'pay on a reliable network',
    scenario: 'pay',
    switches: on,
    check(expect, run, { channel }) {
      expect(run.outcome).toBe('once');
      expect(statuses(run.attempts)).toEqual(['200']);
      expect(run.counters).toEqual({ ...zero, requests: 1, charges: 1 });
      expect(run.charges).toMatchObject([{ channel, amountCents: 2500, fence: 1 }]);
    },
  },
  {
    name: 'pay on a flaky network',
    scenario: 'pay',
    switches: { ...on, flaky: true },
    check(expect, run) {
      expect(run.outcome).toBe('once');
      expect(run.verdict).toContain('Pay: 1 click, 2 requests → 1 charge.');
      expect(statuses(run.attempts)).toEqual(['lost', '200 replayed']);
      expect(run.counters).toEqual({ ...zero, requests: 2, lost: 1, replayed: 1, charges: 1 });
      expect(run.serverKinds).toEqual(['B:charged', 'B:lost', 'B:replayed']);
    },
  },
  {
    name: 'pay on a flaky network without idempotency',
    scenario: 'pay',
    switches: { ...off, flaky: true },
    check(expect, run) {
      expect(run.outcome).toBe('duplicate');
      expect(statuses(run.attempts)).toEqual(['lost', '200']);
      expect(run.counters).toEqual({ ...zero, requests: 2, lost: 1, charges: 2 });
      expect(run.charges.map((charge) => charge.fence)).toEqual([null, null]);
      expect(run.charges[1]?.requestKey).toBe(run.charges[0]?.requestKey);
    },
  },
  {
    name: 'double click (409 for the second)',
    scenario: 'double',
    switches: on,
    check(expect, run) {
      expect(run.outcome).toBe('once');
      expect(run.verdict).toContain('Double-click: 2 clicks, 3 requests → 1 charge.');
      expect(statuses(run.attempts).sort()).toEqual(['200', '200 replayed', '409']);
      // The click that got 409 retried with the same key and got the replay.
      const conflicted = run.attempts.find((attempt) => attempt.status === '409')?.label;
      expect(run.attempts.filter((attempt) => attempt.label === conflicted).map((attempt) => attempt.status)).toEqual([
        '409',
        '200',
      ]);
      expect(run.counters).toEqual({ ...zero, requests: 3, conflicts: 1, replayed: 1, charges: 1 });
    },
  },
  {
    name: 'double click with Wait on',
    scenario: 'double',
    switches: { ...on, wait: true },
    check(expect, run) {
      expect(run.outcome).toBe('once');
      expect(statuses(run.attempts).sort()).toEqual(['200', '200 replayed']);
      expect(run.counters).toEqual({ ...zero, requests: 2, replayed: 1, charges: 1 });
    },
  },
  {
    name: 'double click without idempotency',
    scenario: 'double',
    switches: off,
    check(expect, run) {
      expect(run.outcome).toBe('duplicate');
      expect(statuses(run.attempts)).toEqual(['200', '200']);
      expect(run.counters).toEqual({ ...zero, requests: 2, charges: 2 });
    },
  },
  {
    name: 'reuse a key with another amount (422)',
    scenario: 'reuse',
    switches: on,
    check(expect, run) {
      expect(run.outcome).toBe('once');
      expect(run.verdict).toContain('refused with 422');
      expect(run.attempts.map(({ label, status }) => `${label} ${status}`)).toEqual([
        '1st payment 200',
        '2nd payment 422',
      ]);
      expect(run.counters).toEqual({ ...zero, requests: 2, mismatches: 1, charges: 1 });
      expect(run.charges).toMatchObject([{ amountCents: 2500 }]);
    },
  },
  {
    name: 'reuse a key without idempotency',
    scenario: 'reuse',
    switches: off,
    check(expect, run) {
      expect(run.outcome).toBe('duplicate');
      expect(run.counters).toEqual({ ...zero, requests: 2, charges: 2 });
      expect(run.charges.map((charge) => charge.amountCents)).toEqual([2500, 2600]);
    },
  },
  {
    name: 'crash mid-charge: A killed, B takes over with fence 2',
    scenario: 'crash',
    switches: on,
    check(expect, run, { store }) {
      expect(run.outcome).toBe('once');
      const shown = statuses(run.attempts);
      expect(shown[0]).toBe('lost');
      expect(shown.at(-1)).toBe('200');
      expect(shown.slice(1, -1).length).toBeGreaterThanOrEqual(1);
      expect(new Set(shown.slice(1, -1))).toEqual(new Set(['409']));
      expect(run.counters).toEqual({
        ...zero,
        requests: shown.length,
        conflicts: shown.length - 2,
        takeovers: 1,
        charges: 1,
      });
      expect(run.charges).toHaveLength(1);
      if (store === 'postgres') {
        // A's charge waited in its store transaction, which died with it: only B's write exists.
        expect(run.charges[0]).toMatchObject({
          id: 'ch_2',
          fence: 2,
          writes: [{ instance: 'B', fence: 2, takeover: true }],
        });
        expect(run.verdict).toContain(
          "PostgreSQL rolled that transaction back, so A's charge never reached the ledger",
        );
        expect(run.serverKinds.slice(0, 6)).toEqual([
          'A:in-rotation',
          'A:charged',
          'A:stuck',
          'A:killed',
          'A:rolled-back',
          'A:no-answer',
        ]);
      } else {
        expect(run.charges[0]).toMatchObject({
          fence: 2,
          writes: [
            { instance: 'A', fence: 1, takeover: false },
            { instance: 'B', fence: 2, takeover: true },
          ],
        });
        expect(run.verdict).toContain('one charge, written by A (fence 1) and B (fence 2)');
        expect(run.serverKinds.slice(0, 5)).toEqual([
          'A:in-rotation',
          'A:charged',
          'A:stuck',
          'A:killed',
          'A:no-answer',
        ]);
      }
      expect(run.serverKinds.slice(store === 'postgres' ? 6 : 5)).toEqual([
        ...Array<string>(shown.length - 2).fill('B:conflict'),
        store === 'postgres' ? 'B:charged' : 'B:rewrote',
        'B:answered',
      ]);
    },
  },
  {
    name: 'crash mid-charge without idempotency',
    scenario: 'crash',
    switches: off,
    check(expect, run) {
      expect(run.outcome).toBe('duplicate');
      expect(statuses(run.attempts)).toEqual(['lost', '200']);
      expect(run.counters).toEqual({ ...zero, requests: 2, charges: 2 });
      expect(run.charges.map((charge) => charge.writes.map((write) => write.instance))).toEqual([['A'], ['B']]);
      expect(run.serverKinds).not.toContain('A:rolled-back'); // the unprotected twin wrote outside any store transaction
    },
  },
];
