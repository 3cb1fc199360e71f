/** The playground's clocks: short enough to watch a lease lapse, long enough to see two requests overlap. */
export interface PlaygroundTiming {
  /** Lease of a running attempt (the library's `lease`): how long a killed holder blocks its key. */
  leaseMs: number;
  /** Longest wait of a repeat while the first attempt runs, with the Wait switch on (`concurrent: { wait }`). */
  waitMs: number;
  /** How long one charge takes (the card network answering), so a double click overlaps the first run. */
  chargeLatencyMs: number;
  /** How long instance A stays stuck after charging before the playground kills it. */
  killDelayMs: number;
}

/** The timing `npm run playground` uses. */
export const defaultTiming: PlaygroundTiming = {
  leaseMs: 2_000,
  waitMs: 5_000,
  chargeLatencyMs: 600,
  killDelayMs: 600,
};

/** Fills in the defaults; throws on a value that is not a whole number of milliseconds ≥ 1. */
export function resolveTiming(change: Partial<PlaygroundTiming> = {}): PlaygroundTiming {
  const timing = { ...defaultTiming, ...change };
  for (const [name, value] of Object.entries(timing)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new TypeError(`timing.${name} must be a whole number of milliseconds ≥ 1, got ${value}`);
  }
  return timing;
}
