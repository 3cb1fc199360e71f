/**
 * The scenarios every transport row runs, with the same assertions, counted by the mutation body
 * itself (the ledger). Each fills its report cell before it asserts, so a failing cell still shows
 * what the callers saw.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import { recordId } from '../../../src/core/hashing.js';
import type { Ledger, Payment } from './ledger.js';
import type { Cell } from './report.js';
import type { Answer, BatchSender, Call, Op, Transport } from './types.js';

export interface Env {
  ledger: Ledger;
  lease: number;
  /** Added to the lease: how long a key may take to be free once its holder is gone. */
  margin: number;
  /** Concurrent requests in scenario 2. */
  concurrency: number;
}

/** What scenario 6 saw for one key: the answer to a fresh request once the scenario was over. */
export interface ProbeRecord {
  scenario: string;
  label: string;
  free: boolean;
  /** Body runs the probe itself caused (a key never recorded runs now). */
  runs: number;
  /** What the probe's answers got wrong (another caller's result, a missing Retry-After, …). */
  problems: string[];
}

export interface Row {
  name: string;
  /** The transport against a server with `concurrent: 'reject'`. */
  transport: Transport;
  /** The same transport against a server with `concurrent: { wait }`. */
  waiting: Transport;
  /**
   * Send scenario 6's fresh requests, to the server the scenario used: the row's own transport, or a
   * plain one where the row refuses every keyed call.
   */
  probe: { reject: Transport; wait: Transport };
  probes: ProbeRecord[];
  batch?: { reject: BatchSender; wait: BatchSender };
}

export interface Scenario {
  id: string;
  title: string;
  run(row: Row, cell: Cell, env: Env): Promise<void>;
}

const ALICE = 'alice';
const BOB = 'bob';

export function keyFor(row: Row, scenario: string): string {
  return `${row.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${scenario}-${randomUUID().slice(0, 8)}`;
}

/** A result as JSON (a `Date` as its ISO string): what GraphQL sends, so results compare across transports. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

export function sameResult(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(plain(a), plain(b));
}

/** Checks an answer against its caller: an ok value must be this caller's (user, key, input), with its types where the transport keeps them. */
function check(transport: Transport, call: Call, answer: Answer, cell: Cell): Answer {
  cell.problems.push(...answer.problems);
  if (answer.kind !== 'ok') return answer;
  const { user, key, amount } = answer.value as Partial<Record<keyof Payment, unknown>>;
  if (user !== call.user || key !== call.key || amount !== call.amount) {
    cell.problems.push(
      `${call.user} (key ${call.key}, amount ${call.amount}) received the result of ${String(user)} (key ${String(key)}, amount ${String(amount)})`,
    );
  }
  if (transport.typed && !(answer.value.at instanceof Date))
    cell.problems.push(`the result's Date arrived as ${typeof answer.value.at}`);
  return answer;
}

async function send(transport: Transport, call: Call, cell: Cell): Promise<Answer> {
  return check(transport, call, await transport.send(call), cell);
}

/**
 * A label per answer: `ok` / `replayed` where the transport marks replays; where it cannot, `ok` for
 * the first result and `same` for every identical one (`DIFFERENT` otherwise). `reference` is a result
 * the caller saw before (or that a dropped answer carried): then every identical answer is `same`.
 */
function labels(transport: Transport, answers: readonly Answer[], reference?: unknown): string[] {
  let first = reference;
  return answers.map((answer) => {
    if (answer.kind === 'ok') {
      if (answer.replayed !== undefined) return answer.replayed ? 'replayed' : 'ok';
      if (first === undefined) {
        first = answer.value;
        return 'ok';
      }
      return sameResult(first, answer.value) ? 'same' : 'DIFFERENT';
    }
    if (answer.kind === 'refused') return answer.label;
    if (answer.kind === 'failed') return `error ${answer.label}`;
    return answer.label;
  });
}

/** Sends `call` again while it is answered with a conflict, until `deadline`. */
async function sendWhileConflict(transport: Transport, call: Call, cell: Cell, deadline: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (;;) {
    const answer = await send(transport, call, cell);
    answers.push(answer);
    if (!(answer.kind === 'refused' && answer.refusal === 'conflict') || Date.now() >= deadline) return answers;
    await sleep(50);
  }
}

/** Polls `condition` every 10 ms for at most `ms`; returns whether it held. */
async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
  return true;
}

/**
 * Scenario 6, after every scenario: a fresh request with the scenario's key must get an answer that
 * is not "still running" within lease + margin (it is retried while it gets a conflict, no longer).
 */
async function probe(row: Row, scenario: string, call: Call, env: Env, mode: 'reject' | 'wait'): Promise<void> {
  const transport = row.probe[mode];
  const operation = transport.operation(call.op);
  const before = env.ledger.runs(operation, call.user, call.key);
  const scratch = { problems: [] as string[] } as unknown as Cell;
  const answers = await sendWhileConflict(
    transport,
    { ...call, signal: undefined },
    scratch,
    Date.now() + env.lease + env.margin,
  );
  const last = answers.at(-1)!;
  row.probes.push({
    scenario,
    label: labels(transport, [last], env.ledger.returned(operation, call.user, call.key)[0])[0]!,
    free: !(last.kind === 'refused' && last.refusal === 'conflict'),
    runs: env.ledger.runs(operation, call.user, call.key) - before,
    problems: scratch.problems,
  });
}

/** Runs `body`, then scenario 6's probe for every call in `probed` (on the server `mode` names), whatever `body` did. */
async function withProbes(
  row: Row,
  scenario: string,
  env: Env,
  probed: Call[],
  body: () => Promise<void>,
  mode: 'reject' | 'wait' = 'reject',
): Promise<void> {
  try {
    await body();
  } finally {
    for (const call of probed) await probe(row, scenario, call, env, mode);
  }
}

function expectFirstRun(transport: Transport, answer: Answer): void {
  expect(answer.kind, JSON.stringify(answer)).toBe('ok');
  if (answer.kind === 'ok') expect(answer.replayed).toBe(transport.marksReplay ? false : undefined);
}

function expectReplayOf(transport: Transport, answer: Answer, original: unknown): void {
  expect(answer.kind, JSON.stringify(answer)).toBe('ok');
  if (answer.kind !== 'ok') return;
  expect(answer.replayed).toBe(transport.marksReplay ? true : undefined);
  expect(plain(answer.value)).toEqual(plain(original));
}

function expectRefused(answer: Answer, refusal: string): void {
  expect(answer.kind === 'refused' ? answer.refusal : `${answer.kind} ${JSON.stringify(answer)}`).toBe(refusal);
}

const runsOf = (env: Env, transport: Transport, call: Call) =>
  env.ledger.runs(transport.operation(call.op), call.user, call.key);
const returnedOf = (env: Env, transport: Transport, call: Call) =>
  env.ledger.returned(transport.operation(call.op), call.user, call.key);

function payment(row: Row, scenario: string, overrides: Partial<Call> = {}): Call {
  return { op: 'pay' as Op, user: ALICE, key: keyFor(row, scenario), amount: 10, ...overrides };
}

/** What a one-key scenario asserts on: the answers, the body's runs of the key, what the body first returned. */
interface Sent {
  answers: Answer[];
  runs: number;
  returned: unknown;
}

/** A scenario on one key, probed afterwards. */
interface OneKey {
  id: string;
  title: string;
  /** The call, of a fresh key. */
  call(row: Row): Call;
  /** Sends the call (with `overrides`) through the row's transport to the `mode` server. */
  sends(send: (overrides?: Partial<Call>) => Promise<Answer>, env: Env): Promise<Answer[]>;
  /** Asserts what was sent; then no problem may remain. */
  expectSent(sent: Sent, transport: Transport): void;
  /** The server the call goes to. Defaults to `reject`. */
  mode?: 'reject' | 'wait';
  /** Why the body may run more than once, for the report. */
  onPurpose?: string;
}

/** The scenario of `spec`: the cell records the runs and what the answers were before anything is asserted. */
function oneKey({ id, title, call: callOf, sends, expectSent, mode = 'reject', onPurpose }: OneKey): Scenario {
  return {
    id,
    title,
    async run(row, cell, env) {
      const t = mode === 'reject' ? row.transport : row.waiting;
      const call = callOf(row);
      await withProbes(
        row,
        id,
        env,
        [call],
        async () => {
          const answers = await sends((overrides) => send(t, { ...call, ...overrides }, cell), env);
          const runs = runsOf(env, t, call);
          cell.executions(runs, onPurpose);
          cell.seen = labels(t, answers);
          expectSent({ answers, runs, returned: returnedOf(env, t, call)[0] }, t);
          expect(cell.problems).toEqual([]);
        },
        mode,
      );
    },
  };
}

/** `count` sends, one after the other. */
async function inTurn(count: number, send: () => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i++) answers.push(await send());
  return answers;
}

/** The same key and input sent again with another input in between: a mismatch, the original replays. */
const expectMismatchBetween = ({ answers: [first, other, again], runs, returned }: Sent, t: Transport) => {
  expect(runs).toBe(1);
  expectFirstRun(t, first!);
  expectRefused(other!, 'mismatch');
  expectReplayOf(t, again!, returned);
};

/** Every answer refused as `refusal`, nothing ran. */
const expectAllRefused =
  (refusal: string) =>
  ({ answers, runs }: Sent) => {
    expect(runs).toBe(0);
    answers.forEach((answer) => expectRefused(answer, refusal));
  };

/** The scenarios every row runs. */
export const commonScenarios: Scenario[] = [
  oneKey({
    id: '1',
    title: 'first request runs once; 3 retries with the same key replay the identical result',
    call: (row) => payment(row, 'retry'),
    sends: (send) => inTurn(4, send),
    expectSent: ({ answers, runs, returned }, t) => {
      expect(runs).toBe(1);
      expectFirstRun(t, answers[0]!);
      for (const retry of answers.slice(1)) expectReplayOf(t, retry, returned);
    },
  }),
  {
    id: '1d',
    title: 'response dropped while the body runs (client aborts); the retry replays what the body returned',
    async run(row, cell, env) {
      const t = row.transport;
      const call = payment(row, 'dropped');
      await withProbes(row, '1d', env, [call], async () => {
        const hold = env.ledger.hold(call.key);
        const controller = new AbortController();
        const pending = send(t, { ...call, signal: controller.signal }, cell);
        await Promise.race([hold.started, pending]);
        controller.abort();
        const dropped = await pending;
        hold.release();
        const retries = await sendWhileConflict(t, call, cell, Date.now() + env.lease + env.margin);
        cell.executions(runsOf(env, t, call));
        cell.seen = labels(t, [dropped, ...retries], returnedOf(env, t, call)[0]);
        expect(dropped.kind).toBe('lost');
        expect(runsOf(env, t, call)).toBe(1);
        expectReplayOf(t, retries.at(-1)!, returnedOf(env, t, call)[0]);
        expect(cell.problems).toEqual([]);
      });
    },
  },
  {
    id: '2',
    title: 'N concurrent requests, same key and input, concurrent: reject — one runs, the others get the conflict',
    async run(row, cell, env) {
      await concurrent(row, cell, env, 'reject');
    },
  },
  {
    id: '2w',
    title: 'N concurrent requests, same key and input, concurrent: { wait } — one runs, all get the identical result',
    async run(row, cell, env) {
      await concurrent(row, cell, env, 'wait');
    },
  },
  {
    id: '3',
    title: 'two users, same key and input, at once and again — each runs once and gets only their own result',
    async run(row, cell, env) {
      const t = row.transport;
      const key = keyFor(row, 'users');
      const alice = payment(row, 'users', { key });
      const bob = payment(row, 'users', { key, user: BOB });
      await withProbes(row, '3', env, [alice, bob], async () => {
        const first = await Promise.all([send(t, alice, cell), send(t, bob, cell)]);
        const again = await Promise.all([send(t, alice, cell), send(t, bob, cell)]);
        const runs = [runsOf(env, t, alice), runsOf(env, t, bob)];
        cell.runs = runs[0] === 1 && runs[1] === 1 ? '1 run each' : `${runs[0]} + ${runs[1]} runs`;
        cell.short = runs[0] === 1 && runs[1] === 1 ? '1/user' : `${runs[0]}+${runs[1]}`;
        cell.seen = [
          ...labels(t, [first[0]!, again[0]!]).map((label) => `alice ${label}`),
          ...labels(t, [first[1]!, again[1]!]).map((label) => `bob ${label}`),
        ];
        expect(runs).toEqual([1, 1]);
        first.forEach((answer) => expectFirstRun(t, answer));
        expectReplayOf(t, again[0]!, returnedOf(env, t, alice)[0]);
        expectReplayOf(t, again[1]!, returnedOf(env, t, bob)[0]);
        expect(cell.problems).toEqual([]);
      });
    },
  },
  oneKey({
    id: '4',
    title: 'same key, other input — refused as a parameter mismatch, nothing runs; the original still replays',
    call: (row) => payment(row, 'mismatch'),
    sends: async (send) => [await send(), await send({ amount: 11 }), await send()],
    expectSent: expectMismatchBetween,
  }),
  oneKey({
    id: '5',
    title:
      'body throws unexpectedly: the key is freed, the retry runs (2 runs on purpose); once it returned, no retry re-runs it',
    call: (row) => payment(row, 'thrown', { op: 'flaky' }),
    sends: (send) => inTurn(3, send),
    expectSent: ({ answers: [failed, retried, again], runs, returned }, t) => {
      expect(failed!.kind, JSON.stringify(failed)).toBe('failed');
      expect(runs).toBe(2);
      expectFirstRun(t, retried!);
      expectReplayOf(t, again!, returned);
    },
    onPurpose: 'on purpose',
  }),
  oneKey({
    id: 'A',
    title:
      'a keyed request without caller identity (no user header / connection param), twice — refused as unauthorized, nothing runs',
    call: (row) => payment(row, 'anonymous', { user: '' }),
    sends: (send) => inTurn(2, send),
    expectSent: expectAllRefused('unauthorized'),
  }),
];

async function concurrent(row: Row, cell: Cell, env: Env, mode: 'reject' | 'wait'): Promise<void> {
  const t = mode === 'reject' ? row.transport : row.waiting;
  const call = payment(row, mode === 'reject' ? 'concurrent' : 'waiting');
  await withProbes(
    row,
    mode === 'reject' ? '2' : '2w',
    env,
    [call],
    async () => {
      const hold = env.ledger.hold(call.key);
      const id = recordId(call.user, t.operation(call.op), call.key);
      const pending = Promise.all(Array.from({ length: env.concurrency }, () => send(t, call, cell)));
      // The body is held until every request has been decided by the engine (refused, or waiting).
      const arrived = await until(() => t.answered(id) >= env.concurrency, 10_000);
      hold.release();
      const answers = await pending;
      if (!arrived)
        cell.problems.push(
          `only ${t.answered(id)} of ${env.concurrency} requests reached the engine while the body ran`,
        );
      cell.executions(runsOf(env, t, call));
      cell.seen = labels(t, answers);
      expect(runsOf(env, t, call)).toBe(1);
      const oks = answers.filter((answer) => answer.kind === 'ok');
      oks.forEach((answer) => expect(plain(answer.value)).toEqual(plain(returnedOf(env, t, call)[0])));
      if (mode === 'reject') {
        expect(oks).toHaveLength(1);
        expectFirstRun(t, oks[0]!);
        answers.filter((answer) => answer.kind !== 'ok').forEach((answer) => expectRefused(answer, 'conflict'));
      } else {
        expect(oks).toHaveLength(env.concurrency);
        if (t.marksReplay)
          expect(oks.filter((answer) => answer.kind === 'ok' && answer.replayed === false)).toHaveLength(1);
      }
      expect(cell.problems).toEqual([]);
    },
    mode,
  );
}

/** Scenario 6's cell: every key of the row's scenarios was free afterwards. */
export const probeScenario: Scenario = {
  id: '6',
  title:
    'no key stays locked: after each scenario, a fresh request with its key is answered (not 409) within lease + margin',
  async run(row, cell) {
    const runs = row.probes.reduce((sum, record) => sum + record.runs, 0);
    cell.runs = runs === 0 ? '0 runs' : `${runs} run${runs === 1 ? '' : 's'} (keys never recorded)`;
    cell.short = `free${runs === 0 ? '' : ` ${runs}*`}`;
    cell.seen = row.probes.map((record) => (record.free ? record.label : `STILL RUNNING after ${record.scenario}`));
    cell.problems = row.probes.flatMap((record) =>
      record.problems.map((problem) => `after ${record.scenario}: ${problem}`),
    );
    expect(row.probes.length).toBeGreaterThan(0);
    expect(cell.problems).toEqual([]);
    expect(row.probes.filter((record) => !record.free).map((record) => record.scenario)).toEqual([]);
  },
};

/** Batch rows: several keyed mutations in one request, with their keys in the input (a batch shares one header). */
export const batchScenarios: Scenario[] = [
  {
    id: 'B1',
    title: 'batch of two mutations with two keys, sent twice — each key runs once, the second batch replays both',
    async run(row, cell, env) {
      const t = row.transport;
      const calls = [payment(row, 'batch-a', { amount: 1 }), payment(row, 'batch-b', { amount: 2 })];
      await withProbes(row, 'B1', env, calls, async () => {
        const first = await row.batch!.reject.sendBatch(calls);
        const again = await row.batch!.reject.sendBatch(calls);
        [...first.answers, ...again.answers].forEach((answer, index) => check(t, calls[index % 2]!, answer, cell));
        if (first.requests !== 1 || again.requests !== 1)
          cell.problems.push(`a batch took ${first.requests} / ${again.requests} HTTP requests`);
        const runs = calls.map((call) => runsOf(env, t, call));
        cell.runs = runs.every((count) => count === 1) ? '1 run per key' : `${runs.join(' + ')} runs`;
        cell.short = runs.every((count) => count === 1) ? '1/key' : runs.join('+');
        cell.seen = calls.flatMap((_, index) => labels(t, [first.answers[index]!, again.answers[index]!]));
        expect(runs).toEqual([1, 1]);
        first.answers.forEach((answer) => expectFirstRun(t, answer));
        again.answers.forEach((answer, index) => expectReplayOf(t, answer, returnedOf(env, t, calls[index]!)[0]));
        expect(cell.problems).toEqual([]);
      });
    },
  },
  ...(['reject', 'wait'] as const).map((mode): Scenario => ({
    id: mode === 'reject' ? 'B2' : 'B2w',
    title:
      mode === 'reject'
        ? 'the same key twice in one batch (reject), then again — one run; the twin gets the conflict (or the replay)'
        : 'the same key twice in one batch (wait), then again — one run; both get the identical result',
    async run(row, cell, env) {
      const t = mode === 'reject' ? row.transport : row.waiting;
      const call = payment(row, mode === 'reject' ? 'twins' : 'twins-wait', { amount: 3 });
      await withProbes(
        row,
        mode === 'reject' ? 'B2' : 'B2w',
        env,
        [call],
        async () => {
          const sender = row.batch![mode];
          const first = await sender.sendBatch([call, call]);
          const again = await sender.sendBatch([call, call]);
          [...first.answers, ...again.answers].forEach((answer) => check(t, call, answer, cell));
          if (first.requests !== 1 || again.requests !== 1)
            cell.problems.push(`a batch took ${first.requests} / ${again.requests} HTTP requests`);
          cell.executions(runsOf(env, t, call));
          cell.seen = labels(t, [...first.answers, ...again.answers]);
          expect(runsOf(env, t, call)).toBe(1);
          const original = returnedOf(env, t, call)[0];
          const oks = first.answers.filter((answer) => answer.kind === 'ok');
          oks.forEach((answer) => expect(plain(answer.value)).toEqual(plain(original)));
          if (t.marksReplay) expect(oks.filter((answer) => answer.kind === 'ok' && !answer.replayed)).toHaveLength(1);
          if (mode === 'wait') expect(oks).toHaveLength(2);
          else
            first.answers
              .filter((answer) => answer.kind !== 'ok')
              .forEach((answer) => expectRefused(answer, 'conflict'));
          again.answers.forEach((answer) => expectReplayOf(t, answer, original));
          expect(cell.problems).toEqual([]);
        },
        mode,
      );
    },
  })),
];

/** The FormData row: the fingerprint covers the form's content, files included. */
export const formScenarios: Scenario[] = [
  oneKey({
    id: 'F',
    title: 'two different forms with the same key (same fields, another file) — refused as a mismatch, nothing runs',
    call: (row) => payment(row, 'form', { amount: 5, receipt: 'receipt A' }),
    sends: async (send) => [await send(), await send({ receipt: 'receipt B' }), await send()],
    expectSent: expectMismatchBetween,
  }),
];

/**
 * The @defer row: a keyed mutation with @defer is refused up front (400 IDEMPOTENCY_STREAM_UNSUPPORTED),
 * so nothing runs and the key is never taken; scenario 6 then sends the same key without @defer.
 */
export const deferScenarios: Scenario[] = [
  oneKey({
    id: '1',
    title: 'keyed @defer sent and retried 3 times: refused every time (400), nothing runs',
    call: (row) => payment(row, 'retry'),
    sends: (send) => inTurn(4, send),
    expectSent: expectAllRefused('stream-unsupported'),
  }),
  ...(['2', '2w'] as const).map((id) =>
    oneKey({
      id,
      title: `N concurrent keyed @defer requests (${id === '2' ? 'reject' : 'wait'}): all refused, nothing runs`,
      call: (row) => payment(row, `concurrent-${id}`),
      sends: (send, env) => Promise.all(Array.from({ length: env.concurrency }, () => send())),
      expectSent: expectAllRefused('stream-unsupported'),
      mode: id === '2' ? 'reject' : 'wait',
    }),
  ),
  {
    id: '3',
    title: 'two users, same key, keyed @defer: both refused, nothing runs',
    async run(row, cell, env) {
      const t = row.transport;
      const key = keyFor(row, 'users');
      const calls = [payment(row, 'users', { key }), payment(row, 'users', { key, user: BOB })];
      await withProbes(row, '3', env, calls, async () => {
        const answers = await Promise.all(calls.map((call) => send(t, call, cell)));
        const runs = calls.map((call) => runsOf(env, t, call));
        cell.executions(runs[0]! + runs[1]!);
        cell.seen = labels(t, answers);
        expect(runs).toEqual([0, 0]);
        answers.forEach((answer) => expectRefused(answer, 'stream-unsupported'));
        expect(cell.problems).toEqual([]);
      });
    },
  },
  {
    id: '4',
    title:
      'key used without @defer, then with @defer: refused (400 before any record lookup), no second run; the original replays',
    async run(row, cell, env) {
      const call = payment(row, 'mismatch');
      await withProbes(row, '4', env, [call], async () => {
        const plainFirst = await send(row.probe.reject, call, cell);
        const deferredRepeat = await send(row.transport, call, cell);
        const plainAgain = await send(row.probe.reject, call, cell);
        cell.executions(runsOf(env, row.transport, call));
        cell.seen = [
          `plain ${labels(row.probe.reject, [plainFirst])[0]}`,
          `@defer ${labels(row.transport, [deferredRepeat])[0]}`,
          `plain ${labels(row.probe.reject, [plainAgain])[0]}`,
        ];
        expect(runsOf(env, row.transport, call)).toBe(1);
        expectFirstRun(row.probe.reject, plainFirst);
        expectRefused(deferredRepeat, 'stream-unsupported');
        expectReplayOf(row.probe.reject, plainAgain, returnedOf(env, row.transport, call)[0]);
        expect(cell.problems).toEqual([]);
      });
    },
  },
  {
    id: '5',
    title: 'keyed @defer of the throwing body: refused, nothing runs (the key never taken)',
    async run(row, cell, env) {
      const call = payment(row, 'thrown', { op: 'flaky' });
      await withProbes(row, '5', env, [call], async () => {
        const refused = await send(row.transport, call, cell);
        cell.executions(runsOf(env, row.transport, call));
        cell.seen = [`@defer ${labels(row.transport, [refused])[0]}`];
        expect(runsOf(env, row.transport, call)).toBe(0);
        expectRefused(refused, 'stream-unsupported');
      });
    },
  },
];

/** A fast-check model step: `sends` requests at once, one of them dropped by its client when `drop`, then a pause. */
export interface Wave {
  sends: number;
  drop: boolean;
  pauseMs: number;
}

/**
 * One random interleaving of sends, retries and dropped answers with one key on one transport.
 * Returns the problems found: more than one execution, differing results, answers other than the
 * result or a conflict, a key still running afterwards.
 */
export async function interleaving(
  transport: Transport,
  env: Env,
  waves: Wave[],
  bodyMs: number,
  waits: boolean,
): Promise<{ problems: string[]; seen: string[]; runs: number }> {
  const call: Call = { op: 'pay', user: ALICE, key: `fc-${randomUUID()}`, amount: 42 };
  env.ledger.slow(call.key, bodyMs);
  const scratch = { problems: [] as string[] } as unknown as Cell;
  const pending: Promise<Answer>[] = [];
  for (const wave of waves) {
    for (let i = 0; i < wave.sends; i++) {
      const controller = new AbortController();
      pending.push(send(transport, { ...call, signal: controller.signal }, scratch));
      if (wave.drop && i === 0) setTimeout(() => controller.abort(), Math.floor(bodyMs / 2)).unref();
    }
    await sleep(wave.pauseMs);
  }
  const answers = await Promise.all(pending);
  const problems = [...scratch.problems];
  const operation = transport.operation('pay');
  const runs = env.ledger.runs(operation, call.user, call.key);
  if (runs > 1) problems.push(`${runs} executions`);
  const original = env.ledger.returned(operation, call.user, call.key)[0];
  for (const answer of answers) {
    if (answer.kind === 'ok' && !sameResult(answer.value, original))
      problems.push('an answer differs from what the body returned');
    if (answer.kind === 'refused' && (waits || answer.refusal !== 'conflict'))
      problems.push(`refused: ${answer.label}`);
    if (answer.kind === 'failed') problems.push(`failed: ${answer.label}`);
    if (answer.kind === 'lost' && answer.label !== 'dropped') problems.push(`lost: ${answer.label}`);
  }
  const firstRuns = answers.filter((answer) => answer.kind === 'ok' && answer.replayed === false).length;
  if (transport.marksReplay && firstRuns > 1) problems.push(`${firstRuns} answers claim to be the first run`);
  // Afterwards the key is free: a fresh request gets the stored result (or runs, if every send was dropped before it reached the body).
  const after = await sendWhileConflict(transport, call, scratch, Date.now() + env.lease + env.margin);
  const last = after.at(-1)!;
  if (last.kind !== 'ok') problems.push(`afterwards: ${labels(transport, [last])[0]}`);
  else if (!sameResult(last.value, env.ledger.returned(operation, call.user, call.key)[0]))
    problems.push('afterwards: another result');
  const total = env.ledger.runs(operation, call.user, call.key);
  if (total !== 1) problems.push(`${total} executions in all`);
  return { problems, seen: labels(transport, answers), runs: total };
}
