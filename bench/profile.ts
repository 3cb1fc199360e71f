/**
 * `npm run bench:profile`: where the CPU goes. Runs `node --cpu-prof` on the engine alone (memory
 * store) and on the Yoga and tRPC bench servers under autocannon load, with this library and without
 * it, for replays and first executions, then prints each profile's busiest frames and packages by
 * self time and writes them to `bench/results/profile.md`. Figures are shares of the profiled
 * process's busy time; the load generator and Redis run in other processes. On the PostgreSQL
 * workload (the mutation inserts a payment row; with the PostgreSQL store, through `tx()`), each
 * profile also says what PostgreSQL spent per request: CPU of its processes, and WAL written.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, sendOnce, startServerProcess } from './http/load.js';
import type { Framework, Guard } from './http/servers.js';
import { measurePostgresUsage } from './profile/postgres-usage.js';
import { describeMachine, machineLine } from './support/machine.js';
import { connectBenchPostgres } from './support/postgres.js';
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
  /** What PostgreSQL spent per request, on the PostgreSQL workload. */
  postgres?: { cpuMicroseconds: number; walBytes: number };
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

const GUARD_TITLE: Partial<Record<Guard, string>> = {
  plugin: 'with this library',
  bare: 'without idempotency',
  'postgres-store': 'with this library, PostgreSQL store',
  'postgres-ceiling':
    'the PostgreSQL ceiling (no idempotency; a claim committed on its own, the completion with COMMIT)',
};

async function profileServer(
  redisUrl: string,
  framework: Framework,
  guard: Guard,
  mode: Mode,
  postgresUrl?: string,
): Promise<Profiled> {
  const target = profileTarget();
  const server = await startServerProcess(
    {
      framework,
      guard,
      workload: postgresUrl ? 'postgres' : 'redis',
      autoPipelining: false,
      redisUrl,
      postgresUrl,
      poolSize: 10,
    },
    target.flags,
  );
  try {
    if (mode === 'replay') for (let n = 0; n < REPLAY_KEYS; n++) await sendOnce(server, framework, `replay-${n}`);
    const prefix = `first-${framework}-${guard}-`;
    const loaded = () =>
      load(server, framework, {
        seconds: SECONDS,
        connections: 10,
        keyFor: mode === 'replay' ? (n) => `replay-${n % REPLAY_KEYS}` : (n) => prefix + n,
      });
    const measured = postgresUrl ? await measurePostgresUsage(postgresUrl, loaded) : undefined;
    const result = measured ? measured.value : await loaded();
    await server.stop();
    const requests = result.requestsPerSecond * SECONDS;
    const name = framework === 'yoga' ? 'GraphQL Yoga' : 'tRPC';
    return {
      title: `${name} ${GUARD_TITLE[guard] ?? guard}, ${postgresUrl ? 'PostgreSQL insert, ' : ''}${mode}`,
      summary: target.read(),
      requestsPerSecond: result.requestsPerSecond,
      ...(measured && {
        postgres: { cpuMicroseconds: (measured.cpuSeconds * 1e6) / requests, walBytes: measured.walBytes / requests },
      }),
    };
  } finally {
    await server.kill();
  }
}

const machine = describeMachine();
const results: Profiled[] = [await profileEngine('replay'), await profileEngine('first')];
const redis = await startBenchRedis();
const postgres = await connectBenchPostgres();
try {
  for (const framework of ['yoga', 'trpc'] as const) {
    for (const mode of ['replay', 'first execution'] as const) {
      for (const guard of ['plugin', 'bare'] as const) {
        process.stderr.write(`profile: ${framework} ${guard} ${mode}…\n`);
        results.push(await profileServer(redis.server.url, framework, guard, mode));
      }
    }
  }
  if ('unavailable' in postgres)
    process.stderr.write(`profile: PostgreSQL workload skipped: ${postgres.unavailable}\n`);
  else
    for (const framework of ['yoga', 'trpc'] as const) {
      for (const mode of ['replay', 'first execution'] as const) {
        // The ceiling keeps no records: it has no replay.
        const guards =
          mode === 'replay'
            ? (['postgres-store', 'bare'] as const)
            : (['postgres-store', 'postgres-ceiling', 'bare'] as const);
        for (const guard of guards) {
          process.stderr.write(`profile: ${framework} ${guard} PostgreSQL insert ${mode}…\n`);
          await postgres.truncate();
          results.push(await profileServer(redis.server.url, framework, guard, mode, postgres.url));
        }
      }
    }
} finally {
  if (!('unavailable' in postgres)) await postgres.close();
  await redis.close();
  rmSync(scratch, { recursive: true, force: true });
}

const percent = (value: number) => `${value.toFixed(1)}%`;
const sections = results.map(({ title, summary, requestsPerSecond, postgres }) =>
  [
    `### ${title}`,
    '',
    `${summary.busyMs.toFixed(0)} ms of CPU sampled${requestsPerSecond ? `, ${requestsPerSecond.toFixed(0)} req/s under ${SECONDS} s of autocannon load (10 connections)` : ''}.` +
      (postgres
        ? ` PostgreSQL per request: ${postgres.cpuMicroseconds.toFixed(0)} µs of CPU (all its processes), ${postgres.walBytes.toFixed(0)} bytes of WAL.`
        : ''),
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
    "Shares are of the process's busy (non-idle) time; `(garbage collector)` and `(program)` are V8's own. " +
    'On the PostgreSQL insert workload, "PostgreSQL per request" is the CPU of all its processes on this machine (read from `/proc`) and the WAL it wrote, divided by the requests served.',
  '',
  ...sections,
].join('\n');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/profile.md', import.meta.url), report);
process.stdout.write(`${report}\nWritten to bench/results/profile.md\n`);
