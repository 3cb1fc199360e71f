import { zeroCounters, type Counters } from './counters.js';
import { createLedger, type Charge, type Ledger } from './ledger.js';
import { createLostResponses, type LostResponses } from './lost-responses.js';
import { applySettings, defaultSettings, type Settings } from './settings.js';
import type { StoreKind } from './store.js';

/** Everything the page shows, as `GET /api/state` returns it. */
export interface DemoSnapshot {
  store: StoreKind;
  settings: Settings;
  counters: Counters;
  charges: Charge[];
}

/** The playground's mutable state: the ledger, the switches, the counters and the flaky network's memory. */
export interface DemoState {
  readonly ledger: Ledger;
  readonly counters: Counters;
  readonly lostResponses: LostResponses;
  settings(): Settings;
  /** Applies a change from the page (see {@link applySettings}). */
  updateSettings(change: unknown): void;
  /** Empties the ledger and zeroes the counters; the switches stay as they are. */
  reset(): void;
  snapshot(): DemoSnapshot;
}

export function createDemoState(store: StoreKind): DemoState {
  const ledger = createLedger();
  const counters = zeroCounters();
  const lostResponses = createLostResponses();
  let settings = { ...defaultSettings };
  return {
    ledger,
    counters,
    lostResponses,
    settings: () => settings,
    updateSettings(change) {
      settings = applySettings(settings, change);
    },
    reset() {
      ledger.reset();
      Object.assign(counters, zeroCounters());
      lostResponses.reset();
    },
    snapshot: () => ({ store, settings: { ...settings }, counters: { ...counters }, charges: ledger.list() }),
  };
}
