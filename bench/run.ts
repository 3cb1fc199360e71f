/**
 * `npm run bench`: runs every benchmark in sequence against one redis-server spawned for the run
 * (and the local PostgreSQL for the realistic-workload rows, skipped with a message when none is
 * reachable), prints a table of ratios and writes `bench/results/latest.md`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { guarantees } from './guarantees.js';
import { httpOverhead } from './http.js';
import { replayLatency } from './latency.js';
import { peer } from './peer.js';
import { postgresStore } from './postgres-store.js';
import { roundTrips } from './round-trips.js';
import { scale } from './scale.js';
import { currentLoad, describeMachine, machineLine } from './support/machine.js';
import { startBenchRedis, type BenchRedis } from './support/redis.js';
import { markdownTable, type Finding, type Section } from './support/report.js';

const benchmarks: [string, (bench: BenchRedis) => Promise<Section | Section[]>][] = [
  ['round trips', roundTrips],
  ['replay latency', replayLatency],
  ['peer', peer],
  ['scale', scale],
  ['guarantees', guarantees],
  ['http', httpOverhead],
  ['postgres store', postgresStore],
];

const machine = describeMachine();
const began = performance.now();
const bench = await startBenchRedis();
const sections: Section[] = [];
/** Seconds each benchmark took, in order. */
const durations: [string, number][] = [];
try {
  for (const [name, benchmark] of benchmarks) {
    const started = performance.now();
    process.stderr.write(`bench: ${name}…`);
    sections.push(...[await benchmark(bench)].flat());
    const seconds = (performance.now() - started) / 1000;
    durations.push([name, seconds]);
    process.stderr.write(` ${seconds.toFixed(0)} s\n`);
  }
} finally {
  await bench.close();
}
const minutes = (performance.now() - began) / 60_000;
machine.loadAverageAtEnd = currentLoad();

const LEGEND =
  'Every comparison is measured side by side in this run, the contenders alternating round by round. `0.84× [0.80–0.88]` is the median of the per-round ratios ' +
  "and the lowest and highest round; each section lists every round's ratio.";
const verdict = (finding: Finding) => (finding.met === undefined ? '' : finding.met ? 'met' : '**missed**');
const summary = markdownTable(
  ['benchmark', 'case', 'result', 'goal', 'verdict'],
  sections.flatMap((section) =>
    section.findings.map((finding) => [
      finding.benchmark,
      finding.case,
      finding.result,
      finding.goal ?? '—',
      verdict(finding),
    ]),
  ),
);
const report = [
  '# Benchmark results',
  '',
  `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} in ${minutes.toFixed(1)} min (${durations.map(([name, seconds]) => `${name} ${seconds.toFixed(0)} s`).join(', ')}).`,
  '',
  `Machine: ${machineLine(machine)}.`,
  '',
  LEGEND,
  '',
  '## Summary',
  '',
  summary,
  '',
  ...sections.flatMap((section) => [`## ${section.title}`, '', section.details, '']),
  '## Raw data',
  '',
  '```json',
  JSON.stringify(
    { machine, minutes, durations, sections: sections.map(({ title, findings, data }) => ({ title, findings, data })) },
    null,
    2,
  ),
  '```',
  '',
].join('\n');

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.md', import.meta.url), report);
process.stdout.write(`\nMachine: ${machineLine(machine)}\n\n${LEGEND}\n\n${summary}\n\n`);
for (const section of sections) process.stdout.write(`${section.title}\n\n${section.details}\n\n`);
process.stdout.write(`Finished in ${minutes.toFixed(1)} min; written to bench/results/latest.md\n`);
