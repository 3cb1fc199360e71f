import type { Redis } from 'ioredis';

/** What a mutation body announces when it starts; the server process prints it as a JSON line. */
export interface StartedEvent {
  operation: string;
  key: string | undefined;
  fence: number | undefined;
  run: number;
  server: string;
}

/** The outcome of one charge, as both adapters return it. */
export interface Charge {
  key: string | null;
  amount: number;
  fence: number | null;
  /** Name of the server process whose body ran. */
  server: string;
  /** How often the body has run for this operation and key, this run included. */
  run: number;
  chargedAt: Date;
}

export interface ChargeRequest {
  /** Adapter-qualified operation, e.g. `graphql:charge`. */
  operation: string;
  key: string | undefined;
  fence: number | undefined;
  amount: number;
  /** Holds the body until a test pushes to the gate list (see {@link gateKey}). */
  waitForGate?: boolean;
}

export interface LedgerOptions {
  /** Where runs are counted: bodies in different processes share one count. */
  redis: Redis;
  prefix: string;
  server: string;
  announce?: (event: StartedEvent) => void;
}

/** Hash whose fields count the runs of each `operation:key`, and of all bodies under {@link ALL_RUNS}. */
export const runsKey = (prefix: string) => `${prefix}runs`;
/** The field of {@link runsKey} that counts every run. */
export const ALL_RUNS = '*';
/** The field of {@link runsKey} for one operation and key. */
export const runsField = (operation: string, key: string | undefined) => `${operation}:${key ?? ''}`;
/** The list a gated body waits on with BLPOP; push to it to let the body finish. */
export const gateKey = (prefix: string, operation: string, key: string | undefined) =>
  `${prefix}gate:${runsField(operation, key)}`;

/** The mutation bodies shared by both adapters: each counts its run in Redis and announces it. */
export function createLedger({ redis, prefix, server, announce }: LedgerOptions) {
  async function countRun(operation: string, key: string | undefined, fence: number | undefined): Promise<number> {
    const [[, run]] = (await redis
      .multi()
      .hincrby(runsKey(prefix), runsField(operation, key), 1)
      .hincrby(runsKey(prefix), ALL_RUNS, 1)
      .exec()) as [[null, number], [null, number]];
    announce?.({ operation, key, fence, run, server });
    return run;
  }

  return {
    /** A payment; with `waitForGate`, it holds until a test pushes to {@link gateKey}. */
    async charge({ operation, key, fence, amount, waitForGate = false }: ChargeRequest): Promise<Charge> {
      const run = await countRun(operation, key, fence);
      if (waitForGate) {
        const gate = redis.duplicate();
        try {
          await gate.blpop(gateKey(prefix, operation, key), 0);
        } finally {
          gate.disconnect();
        }
      }
      return {
        key: key ?? null,
        amount,
        fence: fence ?? null,
        server,
        run,
        chargedAt: new Date(Date.UTC(2024, 0, run)),
      };
    },

    /** A result of `bytes` characters, as large as a test needs. */
    async report({
      operation,
      key,
      fence,
      bytes,
    }: Omit<ChargeRequest, 'amount' | 'waitForGate'> & { bytes: number }): Promise<string> {
      await countRun(operation, key, fence);
      return 'x'.repeat(bytes);
    },
  };
}

/** Largest `report` a server builds, so a hostile `bytes` cannot exhaust its memory. */
export const MAX_REPORT_BYTES = 4_194_304;

/** Whether `bytes` is a `report` size the servers accept. */
export const isReportSize = (bytes: unknown): bytes is number =>
  Number.isSafeInteger(bytes) && (bytes as number) >= 0 && (bytes as number) <= MAX_REPORT_BYTES;

export type Ledger = ReturnType<typeof createLedger>;
