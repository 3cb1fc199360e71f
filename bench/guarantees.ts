/**
 * What each peer lacks, measured by the bench harness rather than read from docs. Every contender
 * guards the same Express `POST /payments` in its own child process on the same Redis (this
 * library through the engine with the caller as scope; express-idempotency, @node-idempotency/core
 * and AWS Powertools as configured in the throughput rows), and three checks run against each:
 *
 * - concurrent duplicate: N identical requests at once against a slow handler; the handler counts
 *   its executions in Redis;
 * - crash: a request whose handler never finishes, then SIGKILL of the server process mid-request
 *   (no cleanup of any kind), and a retry of the same key every 250 ms to a second instance on the
 *   same Redis: is the key taken over once the lease lapses, or still "in progress" at the end of the
 *   window?
 * - per-user scope: alice, then bob, with the same key and body: does bob get alice's payment?
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { GUARANTEE_GUARDS, runsKey, type Charged, type GuaranteeGuard } from './guarantees/app.js';
import { spawnServer, type ServerProcess } from './http/load.js';
import { paymentInput } from './support/fixture.js';
import type { BenchRedis } from './support/redis.js';
import { markdownTable, type Finding, type Section } from './support/report.js';

const LEASE_MS = 2_000;
const WINDOW_MS = 6_000;
const RETRY_EVERY_MS = 250;
const DUPLICATES = 10;
const TRIALS = 5;
const SLOW_MS = 300;

const NAME: Record<GuaranteeGuard, string> = {
  library: 'this library (contrast)',
  'express-idempotency': 'express-idempotency 1.0.6',
  'node-idempotency': '@node-idempotency/core 1.0.11 (Redis adapter)',
  powertools: '@aws-lambda-powertools/idempotency 2.35.0 (cache layer)',
};

/** One measured property: does the contender lack it, and what was seen. */
interface Outcome {
  lacks: boolean;
  seen: string;
}

interface GuardOutcome {
  guard: GuaranteeGuard;
  concurrentDuplicateRunsTwice: Outcome;
  crashLeavesKeyStuck: Outcome;
  noPerUserScope: Outcome;
}

const entry = fileURLToPath(new URL('./guarantees/server-process.ts', import.meta.url));

interface Reply {
  status: number;
  body: Partial<Charged> & { code?: string };
}

async function post(server: ServerProcess, key: string, user: string, delay: string): Promise<Reply> {
  const response = await fetch(`${server.url}/payments`, {
    method: 'POST',
    body: JSON.stringify(paymentInput),
    headers: {
      'content-type': 'application/json',
      'idempotency-key': `"${key}"`,
      'x-user': user,
      'x-bench-delay': delay,
    },
  });
  const text = await response.text();
  let body: Reply['body'] = {};
  try {
    body = JSON.parse(text) as Reply['body'];
  } catch {
    body = { code: text.slice(0, 80) };
  }
  return { status: response.status, body };
}

const tally = (statuses: number[]) => {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${n}× ${status}`)
    .join(', ');
};

export async function guarantees(bench: BenchRedis): Promise<Section> {
  const redis = bench.connect();
  const runId = Date.now().toString(36);
  const start = (guard: GuaranteeGuard) => spawnServer(entry, [guard, bench.server.url, String(LEASE_MS)]);
  const runs = async (guard: GuaranteeGuard, key: string) => Number((await redis.get(runsKey(guard, `"${key}"`))) ?? 0);

  async function check(guard: GuaranteeGuard): Promise<GuardOutcome> {
    // A second instance on the same Redis takes the retries after the first is killed, as behind a load balancer.
    const started = await Promise.allSettled([start(guard), start(guard)]);
    const [server, standby] = started.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
    if (!server || !standby) {
      await Promise.all([server?.stop(), standby?.stop()]);
      throw new Error(`guarantee server for ${guard} did not start`);
    }
    try {
      // Per-user scope: alice pays, then bob sends the same key and body.
      const scopeKey = `scope-${runId}`;
      const alice = await post(server, scopeKey, 'alice', '0');
      await sleep(100); // express-idempotency stores the response after sending it
      const bob = await post(server, scopeKey, 'bob', '0');
      const leaked = bob.status < 300 && bob.body.id !== undefined && bob.body.id === alice.body.id;
      const noPerUserScope: Outcome = {
        lacks: leaked,
        seen: leaked
          ? `yes: bob got alice's payment (${bob.status}, same id, user "${bob.body.user}")`
          : bob.status < 300
            ? `no: bob's request ran for bob (${await runs(guard, scopeKey)} executions in all)`
            : `no: bob refused (${bob.status} ${bob.body.code ?? ''})`,
      };

      // Concurrent duplicates: N identical requests at once, the handler taking SLOW_MS; a race is
      // a matter of timing, so the burst is repeated with a new key each trial.
      const trials: { executions: number; statuses: string }[] = [];
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const concurrentKey = `concurrent-${runId}-${trial}`;
        const replies = await Promise.all(
          Array.from({ length: DUPLICATES }, () => post(server, concurrentKey, 'alice', String(SLOW_MS))),
        );
        trials.push({
          executions: await runs(guard, concurrentKey),
          statuses: tally(replies.map((reply) => reply.status)),
        });
      }
      const doubled = trials.filter((trial) => trial.executions > 1);
      const concurrentDuplicateRunsTwice: Outcome = {
        lacks: doubled.length > 0,
        seen: doubled.length
          ? `yes: ran more than once in ${doubled.length} of ${TRIALS} bursts, up to ${Math.max(...doubled.map((trial) => trial.executions))}× (worst: ${
              doubled.reduce((worst, trial) => (trial.executions > worst.executions ? trial : worst)).statuses
            })`
          : `no: ran once in each of ${TRIALS} bursts (${[...new Set(trials.map((trial) => trial.statuses))].join('; ')})`,
      };

      // Crash: the holder never finishes and its process is killed; a new process gets the retries.
      const crashKey = `crash-${runId}`;
      const hung = post(server, crashKey, 'alice', 'hang').catch(() => undefined);
      const deadline = performance.now() + 5_000;
      while ((await runs(guard, crashKey)) < 1 && performance.now() < deadline) await sleep(20);
      await server.kill();
      const crashedAt = performance.now();
      await hung;
      const seen: number[] = [];
      let takenOverAfterMs: number | undefined;
      while (performance.now() - crashedAt < WINDOW_MS) {
        const reply = await post(standby, crashKey, 'alice', '0');
        seen.push(reply.status);
        if (reply.status < 300) {
          takenOverAfterMs = performance.now() - crashedAt;
          break;
        }
        await sleep(RETRY_EVERY_MS);
      }
      const stuckFor = await recordTtl(crashKey);
      const crashLeavesKeyStuck: Outcome =
        takenOverAfterMs === undefined
          ? {
              lacks: true,
              seen: `yes: ${tally(seen)} over ${WINDOW_MS / 1000} s after the crash, never taken over${stuckFor ? `; the in-progress record's TTL is ${stuckFor}` : ''}`,
            }
          : {
              lacks: false,
              seen: `no: ${tally(seen.slice(0, -1)) || 'no refusal'}, then taken over ${(takenOverAfterMs / 1000).toFixed(1)} s after the crash (${await runs(guard, crashKey)} executions in all)`,
            };
      return { guard, concurrentDuplicateRunsTwice, crashLeavesKeyStuck, noPerUserScope };
    } finally {
      await Promise.all([server.stop(), standby.stop()]);
    }
  }

  /** PTTL of a record whose Redis key contains the raw idempotency key (the peers that do not hash it). */
  async function recordTtl(key: string): Promise<string | undefined> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, names] = await redis.scan(cursor, 'MATCH', `*${key}*`, 'COUNT', 10_000);
      cursor = next;
      found.push(...names);
    } while (cursor !== '0');
    const record = found.find((name) => !name.startsWith('bench:guarantees:runs:'));
    if (!record) return undefined;
    const ms = await redis.pttl(record);
    return ms < 0 ? 'none (never expires)' : `${(ms / 3_600_000).toFixed(1)} h`;
  }

  const outcomes = await Promise.all(GUARANTEE_GUARDS.map(check));
  const peers = outcomes.filter((outcome) => outcome.guard !== 'library');
  const lacking = (outcome: GuardOutcome) =>
    [
      outcome.concurrentDuplicateRunsTwice.lacks ? 'concurrent duplicate runs twice' : '',
      outcome.crashLeavesKeyStuck.lacks ? 'crash leaves the key stuck' : '',
      outcome.noPerUserScope.lacks ? 'no per-user scope' : '',
    ].filter(Boolean);
  const findings: Finding[] = outcomes.map((outcome) => ({
    benchmark: 'Guarantees (measured)',
    case: NAME[outcome.guard],
    result: lacking(outcome).length ? `lacks: ${lacking(outcome).join('; ')}` : 'lacks none of the three',
  }));
  return {
    title: 'Guarantees measured: what each peer lacks',
    findings,
    details: [
      `Each contender guards the same Express \`POST /payments\` in its own child process on the same Redis. ` +
        `Concurrent duplicate: ${TRIALS} bursts of ${DUPLICATES} identical requests at once (a new key per burst), the handler taking ${SLOW_MS} ms; its executions are counted in Redis. ` +
        `Crash: a request whose handler never finishes, SIGKILL of that server process once the handler has started (no cleanup runs), ` +
        `then the same request again to a second instance already running on the same Redis (as behind a load balancer) every ${RETRY_EVERY_MS} ms for ${WINDOW_MS / 1000} s. The lease is ${LEASE_MS / 1000} s for this library and, for Powertools, ` +
        `the in-progress expiry (the remaining time of its fake Lambda context); express-idempotency and @node-idempotency/core have no such setting. ` +
        'Per-user scope: alice pays, then bob sends the same key and body. ' +
        "Configurations as in the throughput rows: this library takes the caller's scope on every call (here the user); the peers key on the Idempotency-Key " +
        '(express-idempotency and @node-idempotency/core with the method and path; Powertools through `eventKeyJmesPath: "key"`). ' +
        'A faster peer that runs a payment twice is not ahead.',
      '',
      markdownTable(
        ['contender', 'concurrent duplicate runs twice?', 'crash leaves key stuck?', 'no per-user scope?'],
        [...peers, ...outcomes.filter((outcome) => outcome.guard === 'library')].map((outcome) => [
          NAME[outcome.guard],
          outcome.concurrentDuplicateRunsTwice.seen,
          outcome.crashLeavesKeyStuck.seen,
          outcome.noPerUserScope.seen,
        ]),
      ),
    ].join('\n'),
    data: { leaseMs: LEASE_MS, windowMs: WINDOW_MS, duplicates: DUPLICATES, trials: TRIALS, slowMs: SLOW_MS, outcomes },
  };
}
