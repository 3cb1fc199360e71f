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
