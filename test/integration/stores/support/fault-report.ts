import { runLength } from '../../../support/adapters/report.js';
import type { CellResult } from './fault-cell.js';
import { labelOf } from './fault-invariants.js';

export interface ReportRow {
  transition: string;
  fault: string;
  client: string;
  result: CellResult;
  violations: string[];
}

/** One line per cell: what ran, what every caller saw (first call | retries), what the engines reported, and the verdict. */
export function formatReport(rows: ReportRow[]): string {
  const header = ['transition', 'fault', 'client', 'runs', 'first | retries', 'events', 'verdict'];
  const lines = rows.map(({ transition, fault, client, result, violations }) => [
    transition,
    fault,
    client,
    result.threw ? `${result.executions} (${result.threw} threw)` : String(result.executions),
    `${labelOf(result.first.outcome)} | ${runLength(result.retries.map(({ outcome }) => labelOf(outcome)))}`,
    runLength(result.events),
    violations.length ? `FAIL: ${violations.join('; ')}` : 'pass',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => Math.min(line[column]!.length, 60))),
  );
  const format = (cells: string[]) =>
    cells.map((cell, column) => (column < cells.length - 1 ? cell.padEnd(widths[column]!) : cell)).join('  ');
  return ['Fault matrix (invariants per cell)', format(header), ...lines.map(format)].join('\n');
}
