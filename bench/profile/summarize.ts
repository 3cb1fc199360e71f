/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and sums self time per function and per
 * package, for the bench notes.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Share of the sampled CPU time: a frame or a package, and its percentage. */
export interface Share {
  name: string;
  percent: number;
}

/** What one profile shows: its busiest frames by self time, and self time by package. */
export interface ProfileSummary {
  /** Sampled time in milliseconds, idle excluded. */
  busyMs: number;
  frames: Share[];
  packages: Share[];
}

/** Where a frame's code lives: this library, a package of node_modules, Node itself, or V8's own pseudo-frames. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.includes('node_modules')) return packageName(url);
  if (url.includes('/dist/')) return 'idempotent-mutations (dist/)';
  if (url.includes('/src/')) return 'idempotent-mutations (src/)';
  if (url.startsWith('node:')) return 'node: core';
  return '(bench harness)';
}

function packageName(url: string): string {
  const after = url.slice(url.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const parts = after.split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/**
 * A frame as `name file:line`. Files of `src/` and `bench/` run through tsx, whose transformed code
 * has other line numbers than the source: those are named by file only.
 */
function frameName({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const name = functionName || '(anonymous)';
  if (!url) return name;
  if (url.includes('node_modules'))
    return `${name} ${url.slice(url.lastIndexOf('node_modules/') + 'node_modules/'.length)}:${lineNumber + 1}`;
  if (url.startsWith('node:')) return `${name} ${url}:${lineNumber + 1}`;
  return `${name} ${url.replace(/^.*\/(src|bench)\//, '$1/')}`;
}

const top = (totals: Map<string, number>, busy: number, count: number): Share[] =>
  [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, percent: (100 * micros) / busy }));

/** Sums the self time of each frame of `file`, sample by sample; `(idle)` is left out of the total. */
export function summarizeProfile(file: string, count = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const frames = new Map<string, number>();
  const packages = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id)!;
    const micros = profile.timeDeltas[index] ?? 0;
    if (node.callFrame.functionName === '(idle)') return;
    busy += micros;
    const frame = frameName(node.callFrame);
    frames.set(frame, (frames.get(frame) ?? 0) + micros);
    const where = packageOf(node.callFrame.url, node.callFrame.functionName);
    packages.set(where, (packages.get(where) ?? 0) + micros);
  });
  return { busyMs: busy / 1000, frames: top(frames, busy, count), packages: top(packages, busy, count) };
}
