/** One cell of the matrix: what the body did and what the callers saw. */
export class Cell {
  /** Executions of the body, as it counted them, e.g. `1 run`. */
  runs = '—';
  /** The same, compact, for the matrix: `1`, `2*` (on purpose), `1/user`. */
  short = '—';
  /** What each caller received, in order (see `summarize`). */
  seen: string[] = [];
  /** Invariant or transport inconsistencies found (another caller's result, a missing Retry-After, …). */
  problems: string[] = [];
  /** Anything else worth a line in the report (events, how long a key stayed locked, …). */
  notes: string[] = [];
  verdict: 'pass' | 'FAIL' | 'not run' = 'not run';

  constructor(
    readonly row: string,
    readonly scenario: string,
    readonly title: string,
  ) {}

  executions(count: number, note?: string): void {
    this.runs = `${count} run${count === 1 ? '' : 's'}${note ? ` (${note})` : ''}`;
    this.short = `${count}${note ? '*' : ''}`;
  }
}

/** Labels grouped in order of first appearance: `ok, 409×19`. */
export function summarize(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].map(([label, count]) => (count === 1 ? label : `${label}×${count}`)).join(', ');
}

/** Runs of equal labels, in order: `['409', '409', 'ok']` → `409×2, ok` (`-` for none). */
export function runLength(labels: readonly string[]): string {
  const runs: [string, number][] = [];
  for (const label of labels) {
    const last = runs.at(-1);
    if (last?.[0] === label) last[1]++;
    else runs.push([label, 1]);
  }
  return runs.map(([label, count]) => (count > 1 ? `${label}×${count}` : label)).join(', ') || '-';
}

export class Report {
  readonly cells: Cell[] = [];
  readonly notes: string[] = [];

  constructor(
    private readonly heading = 'Transport matrix: body executions per cell, as the body counted them (* on purpose), ✓ passed / ✗ failed',
    private readonly rowTitle = 'transport',
  ) {}

  open(row: string, scenario: string, title: string): Cell {
    const cell = new Cell(row, scenario, title);
    this.cells.push(cell);
    return cell;
  }

  format(): string {
    const rows = [...new Set(this.cells.map((cell) => cell.row))];
    const scenarios = [...new Set(this.cells.map((cell) => cell.scenario))];
    const find = (row: string, scenario: string) =>
      this.cells.find((cell) => cell.row === row && cell.scenario === scenario);
    const verdict = (cell: Cell) => (cell.verdict === 'pass' ? '✓' : cell.verdict === 'FAIL' ? '✗' : '·');
    const mark = (cell: Cell | undefined) => (cell ? `${cell.short} ${verdict(cell)}` : '');
    const rowWidth = Math.max(...rows.map((row) => row.length), this.rowTitle.length);
    const widths = scenarios.map((scenario) =>
      Math.max(scenario.length, ...rows.map((row) => mark(find(row, scenario)).length)),
    );
    const matrix = [
      [this.rowTitle.padEnd(rowWidth), ...scenarios.map((scenario, index) => scenario.padEnd(widths[index]!))].join(
        '  ',
      ),
      ...rows.map((row) =>
        [row.padEnd(rowWidth), ...scenarios.map((scenario, index) => mark(find(row, scenario)).padEnd(widths[index]!))]
          .join('  ')
          .trimEnd(),
      ),
    ];
    const titles = scenarios.flatMap((scenario) => {
      const cells = this.cells.filter((cell) => cell.scenario === scenario);
      const distinct = [...new Set(cells.map((cell) => cell.title))];
      return distinct.map((title, index) => {
        const where =
          index === 0
            ? ''
            : ` (${[...new Set(cells.filter((cell) => cell.title === title).map((cell) => cell.row))].join(', ')})`;
        return `  ${(index === 0 ? scenario : '').padEnd(4)} ${title}${where}`;
      });
    });
    const runsWidth = Math.max(...this.cells.map((cell) => cell.runs.length));
    const detail = this.cells.map((cell) => {
      const problems = cell.problems.length ? `  !! ${[...new Set(cell.problems)].join('; ')}` : '';
      const notes = cell.notes.length ? `  (${cell.notes.join('; ')})` : '';
      return `${verdict(cell)} ${cell.row.padEnd(rowWidth)}  ${cell.scenario.padEnd(4)} ${cell.runs.padEnd(runsWidth)}  ${summarize(cell.seen)}${notes}${problems}`;
    });
    return [
      this.heading,
      ...matrix,
      '',
      'Scenarios:',
      ...titles,
      '',
      `Cells: ${this.rowTitle}, scenario, executions, what the callers saw`,
      ...detail,
      ...(this.notes.length ? ['', ...this.notes] : []),
    ].join('\n');
  }
}
