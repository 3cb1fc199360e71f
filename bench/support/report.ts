/** One line of the summary table: a measured figure, and the goal it is held against if any. */
export interface Finding {
  /** Which benchmark, e.g. `'Round trips'`. */
  benchmark: string;
  /** What was measured, e.g. `'replay'`. */
  case: string;
  /** The figure as printed, e.g. `'0.93×'`. */
  result: string;
  /** The goal as printed, e.g. `'≥ 0.9×'`; absent when the figure is informational. */
  goal?: string;
  /** Whether the goal was met; absent without a goal. */
  met?: boolean;
}

/** What one benchmark hands back to the runner. */
export interface Section {
  title: string;
  /** Lines of the summary table. */
  findings: Finding[];
  /** Markdown with the detailed figures (tables, notes). */
  details: string;
  /** Raw numbers, written to the JSON block of the results file. */
  data: unknown;
}

/** A finding held against a goal `measured ≥ target` or `measured ≤ target`. */
export function againstGoal(
  base: Omit<Finding, 'goal' | 'met'>,
  measured: number,
  comparison: '>=' | '<=',
  target: number,
  unit = '×',
): Finding {
  const met = comparison === '>=' ? measured >= target : measured <= target;
  return { ...base, goal: `${comparison === '>=' ? '≥' : '≤'} ${target}${unit}`, met };
}

/** Formats a ratio as `1.23×`. */
export const ratio = (value: number) => `${value.toFixed(2)}×`;

/** Formats a count with thousands separators. */
export const count = (value: number) => Math.round(value).toLocaleString('en-US');

/** Formats microseconds. */
export const micros = (value: number) => `${value.toFixed(0)} µs`;

/** A markdown table. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A ratio measured round by round: the median of the per-round ratios and their spread. */
export interface RatioStats {
  median: number;
  min: number;
  max: number;
  /** One ratio per round, in round order. */
  rounds: number[];
}

/** Summarises per-round ratios (variant ÷ baseline within the same round). */
export function ratioStats(rounds: number[]): RatioStats {
  const finite = rounds.filter((value) => Number.isFinite(value));
  const sorted = [...finite].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2
        ? (sorted[middle] ?? Number.NaN)
        : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN, rounds };
}

/** Per-round ratios `a[i] ÷ b[i]`. */
export const perRound = (a: number[], b: number[]) => a.map((value, round) => value / (b[round] ?? Number.NaN));

/** `0.84× [0.80–0.88]`: the median of the per-round ratios and their range. */
export const ratioSpread = (stats: RatioStats) =>
  `${ratio(stats.median)} [${stats.min.toFixed(2)}–${stats.max.toFixed(2)}]`;

/** The per-round ratios as a list: `0.81 0.84 0.86 0.88`. */
export const roundList = (stats: RatioStats) => stats.rounds.map((value) => value.toFixed(2)).join(' ');
