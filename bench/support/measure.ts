import { performance } from 'node:perf_hooks';

/** Latency summary in microseconds. */
export interface Latency {
  p50: number;
  p99: number;
  mean: number;
  samples: number;
}

/** Summarises latencies given in microseconds. */
export function summarize(micros: number[]): Latency {
  const sorted = [...micros].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { p50: at(0.5), p99: at(0.99), mean, samples: sorted.length };
}

/** Runs `operation(i)` `count` times one after another and returns each latency in microseconds. */
export async function sequentialLatencies(
  count: number,
  operation: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const micros: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await operation(i);
    micros.push((performance.now() - start) * 1000);
  }
  return micros;
}

/** A latency summary over all rounds, with each round's own summary (for per-round ratios). */
export interface RoundedLatency extends Latency {
  rounds: Latency[];
}

/**
 * Measures sequential latency of several contenders fairly: `rounds` alternating blocks of
 * `perRound` calls each, after one warm-up block, so drift hits every contender alike.
 */
export async function alternatingLatencies<Name extends string>(
  contenders: Record<Name, (i: number) => Promise<unknown>>,
  { rounds, perRound }: { rounds: number; perRound: number },
): Promise<Record<Name, RoundedLatency>> {
  const names = Object.keys(contenders) as Name[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
  const perRoundSummaries = Object.fromEntries(names.map((name) => [name, [] as Latency[]])) as Record<Name, Latency[]>;
  let offset = 0;
  for (const name of names) await sequentialLatencies(perRound, (i) => contenders[name](offset + i));
  offset += perRound;
  for (let round = 0; round < rounds; round += 1) {
    for (const name of names) {
      const block = await sequentialLatencies(perRound, (i) => contenders[name](offset + i));
      samples[name].push(...block);
      perRoundSummaries[name].push(summarize(block));
    }
    offset += perRound;
  }
  return Object.fromEntries(
    names.map((name) => [name, { ...summarize(samples[name]), rounds: perRoundSummaries[name] }]),
  ) as Record<Name, RoundedLatency>;
}

/**
 * Operations per second with `concurrency` callers in flight for `durationMs`. `operation(i)` gets
 * a number unique within the run, `start` onwards.
 */
export async function throughput(
  operation: (i: number) => Promise<unknown>,
  { concurrency, durationMs, start = 0 }: { concurrency: number; durationMs: number; start?: number },
): Promise<{ opsPerSecond: number; completed: number }> {
  let next = start;
  let completed = 0;
  const began = performance.now();
  const deadline = began + durationMs;
  async function worker(): Promise<void> {
    while (performance.now() < deadline) {
      await operation(next++);
      completed += 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { opsPerSecond: (completed * 1000) / (performance.now() - began), completed };
}

/** Median of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
