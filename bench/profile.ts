/**
 * `npm run bench:profile`: where the CPU goes. Runs `node --cpu-prof` on the engine alone (memory
 * store) and on the Yoga and tRPC bench servers under autocannon load, with this library and without
 * it, for replays and first executions, then prints each profile's busiest frames and packages by
 * self time and writes them to `bench/results/profile.md`. Figures are shares of the profiled
 * process's busy time; the load generator and Redis run in other processes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, sendOnce, startServerProcess } from './http/load.js';
import type { Framework, Guard } from './http/servers.js';
import { describeMachine, machineLine } from './support/machine.js';
import { startBenchRedis } from './support/redis.js';
import { markdownTable } from './support/report.js';
import { summarizeProfile, type ProfileSummary } from './profile/summarize.js';

const SECONDS = 8;
const ENGINE_MS = 4_000;
const REPLAY_KEYS = 500;
const FRAMES = 12;

type Mode = 'replay' | 'first execution';
interface Profiled {
  title: string;
  summary: ProfileSummary;
  requestsPerSecond?: number;
}

const scratch = mkdtempSync(join(tmpdir(), 'idempotency-profile-'));
let profiles = 0;
/** Node flags that write one profile into a fresh directory, and a way to read it back once the process has exited. */
function profileTarget(): { flags: string[]; read: () => ProfileSummary } {
  const dir = join(scratch, String(profiles++));
  mkdirSync(dir);
  return {
    flags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    read: () =>
      summarizeProfile(
        join(
          dir,
          readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!,
        ),
        FRAMES,
      ),
  };
}

async function profileEngine(mode: 'replay' | 'first'): Promise<Profiled> {
  const target = profileTarget();
  const entry = fileURLToPath(new URL('./profile/engine-loop.ts', import.meta.url));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...target.flags, '--import', 'tsx', entry, mode, String(ENGINE_MS)], {
      stdio: 'inherit',
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`engine loop exited with ${code}`))));
  });
  return {
    title: `Engine alone (memory store), ${mode === 'replay' ? 'replay' : 'first execution'}`,
    summary: target.read(),
  };
}

async function profileServer(redisUrl: string, framework: Framework, guard: Guard, mode: Mode): Promise<Profiled> {
  const target = profileTarget();
  const server = await startServerProcess(
    { framework, guard, workload: 'redis', autoPipelining: false, redisUrl, poolSize: 10 },
    target.flags,
  );
  try {
    if (mode === 'replay') for (let n = 0; n < REPLAY_KEYS; n++) await sendOnce(server, framework, `replay-${n}`);
    const prefix = `first-${framework}-${guard}-`;
    const result = await load(server, framework, {
      seconds: SECONDS,
      connections: 10,
      keyFor: mode === 'replay' ? (n) => `replay-${n % REPLAY_KEYS}` : (n) => prefix + n,
    });
    await server.stop();
    const name = framework === 'yoga' ? 'GraphQL Yoga' : 'tRPC';
    return {
      title: `${name} ${guard === 'plugin' ? 'with this library' : 'without idempotency'}, ${mode}`,
      summary: target.read(),
      requestsPerSecond: result.requestsPerSecond,
    };
  } finally {
    await server.kill();
  }
}

const machine = describeMachine();
const results: Profiled[] = [await profileEngine('replay'), await profileEngine('first')];
const redis = await startBenchRedis();
try {
  for (const framework of ['yoga', 'trpc'] as const) {
    for (const mode of ['replay', 'first execution'] as const) {
      for (const guard of ['plugin', 'bare'] as const) {
        process.stderr.write(`profile: ${framework} ${guard} ${mode}…\n`);
        results.push(await profileServer(redis.server.url, framework, guard, mode));
      }
    }
  }
} finally {
  await redis.close();
  rmSync(scratch, { recursive: true, force: true });
}

const percent = (value: number) => `${value.toFixed(1)}%`;
const sections = results.map(({ title, summary, requestsPerSecond }) =>
  [
    `### ${title}`,
    '',
    `${summary.busyMs.toFixed(0)} ms of CPU sampled${requestsPerSecond ? `, ${requestsPerSecond.toFixed(0)} req/s under ${SECONDS} s of autocannon load (10 connections)` : ''}.`,
    '',
    markdownTable(
      ['self time by package', 'share'],
      summary.packages.map((share) => [share.name, percent(share.percent)]),
    ),
    '',
    markdownTable(
      ['busiest frames (self time)', 'share'],
      summary.frames.map((share) => [`\`${share.name}\``, percent(share.percent)]),
    ),
    '',
  ].join('\n'),
);
const report = [
  '# CPU profiles',
  '',
  `Produced by \`npm run bench:profile\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${machineLine(machine)}.`,
  '',
  'Each profile is `node --cpu-prof` of one process: the engine in a loop, or a bench server under load (the load generator and Redis run in other processes). ' +
    "Shares are of the process's busy (non-idle) time; `(garbage collector)` and `(program)` are V8's own.",
  '',
  ...sections,
].join('\n');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/profile.md', import.meta.url), report);
process.stdout.write(`${report}\nWritten to bench/results/profile.md\n`);
