import { zeroCounters, type Counters } from './counters.js';
import type { Charge, Ledger, LedgerWrite } from './ledger.js';
import { createLostResponses, type LostResponses } from './lost-responses.js';
import { createServerLog, type ServerEvent, type ServerLog } from './server-log.js';
import type { StoreKind } from './store.js';
import type { PlaygroundTiming } from './timing.js';

/** The two app instances as the page shows them. */
export interface InstancesStatus {
  /** Instance A, the separate Node process of the crash scenario. */
  a: {
    state: 'off' | 'starting' | 'standby' | 'in-rotation' | 'stuck' | 'failed';
    /** The process now starting, standing by, in rotation or stuck. */
    pid?: number;
    /** The last process the playground killed with SIGKILL. */
    lastKilledPid?: number;
  };
  /** Instance B, the playground's own process. */
  b: { pid: number };
}

/** Everything the page shows, as `GET /api/state` returns it. */
export interface DemoSnapshot {
  store: StoreKind;
  timing: PlaygroundTiming;
  counters: Counters;
  charges: Charge[];
  serverLog: ServerEvent[];
  instances: InstancesStatus;
}

/** The playground's mutable state: the ledger, the counters, the server log and the flaky network's memory (the switches are each page's own). */
export interface DemoState {
  readonly ledger: Ledger;
  readonly counters: Counters;
  readonly serverLog: ServerLog;
  readonly lostResponses: LostResponses;
  readonly timing: PlaygroundTiming;
  /** Logs a ledger write made outside this process: instance A's, through its own store transaction on PostgreSQL. */
  recordWrite(write: LedgerWrite): void;
  /** Empties the ledger and the server log and zeroes the counters. */
  reset(): Promise<void>;
  snapshot(): Promise<DemoSnapshot>;
}

/** Logs each ledger write as the server log's `charged`, `rewrote` or `refused-stale`, and counts takeovers. */
function logWrite(log: ServerLog, counters: Counters, write: LedgerWrite): void {
  const { charge, details, inTransaction } = write;
  const kind = write.kind === 'inserted' ? 'charged' : write.kind === 'rewritten' ? 'rewrote' : 'refused-stale';
  if (details.run?.takeover && write.kind !== 'refused') counters.takeovers += 1;
  log.add({
    instance: details.instance,
    kind,
    key: details.requestKey,
    fence: details.run?.fence ?? null,
    chargeId: charge.id,
    ...(inTransaction ? { inTransaction } : {}),
  });
}

/** What the demo state is built from. */
export interface DemoStateOptions {
  store: StoreKind;
  timing: PlaygroundTiming;
  instances: () => InstancesStatus;
  /** Creates the ledger (in memory, or on PostgreSQL), which reports each write to `onWrite`. */
  openLedger(onWrite: (write: LedgerWrite) => void): Ledger;
}

export function createDemoState({ store, timing, instances, openLedger }: DemoStateOptions): DemoState {
  const counters = zeroCounters();
  const serverLog = createServerLog();
  const recordWrite = (write: LedgerWrite) => logWrite(serverLog, counters, write);
  const ledger = openLedger(recordWrite);
  const lostResponses = createLostResponses();
  return {
    ledger,
    counters,
    serverLog,
    lostResponses,
    timing,
    recordWrite,
    async reset() {
      await ledger.reset();
      serverLog.reset();
      Object.assign(counters, zeroCounters());
      lostResponses.reset();
    },
    snapshot: async () => ({
      store,
      timing: { ...timing },
      counters: { ...counters },
      charges: await ledger.list(),
      serverLog: serverLog.list(),
      instances: instances(),
    }),
  };
}
