import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { IdempotencyStore } from '../../src/core/store.js';
import type { PaymentApi } from '../api-dependencies.js';
import type { InstancesStatus } from '../demo-state.js';
import type { LedgerAccess, LedgerWrite } from '../ledger.js';
import type { ServerLog } from '../server-log.js';
import { forwardTo } from './forward.js';
import { CONFIG_ENV, type ChildMessage, type InstanceConfig } from './messages.js';
import { answerCall } from './serve-calls.js';

const ENTRY = fileURLToPath(new URL('./main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Longest wait for a new instance A to listen. */
const START_TIMEOUT_MS = 30_000;

/** What instance A is built from. */
export interface InstanceAOptions {
  config: InstanceConfig;
  /** The ledger A calls over IPC (memory and Redis stores; on PostgreSQL A writes to its table itself). */
  ledger: LedgerAccess;
  /** Hears each write A made to the ledger's table itself (PostgreSQL). */
  onWrite: (write: LedgerWrite) => void;
  /** The memory store both instances share; `undefined` with Redis or PostgreSQL, which A connects to itself. */
  sharedStore: IdempotencyStore | undefined;
  log: ServerLog;
  /** How long A stays stuck after charging before it is killed. */
  killDelayMs: number;
}

/** Instance A, seen from the playground's process: a child process it starts, puts in front of the load balancer and kills. */
export interface InstanceA {
  status(): InstancesStatus['a'];
  /** Puts a fresh instance A in front of the load balancer, starting it unless one stands by; the next request goes to it. */
  enterRotation(): Promise<void>;
  /** A's API while it is in front of the load balancer; `undefined` otherwise (the load balancer then sends to B). */
  inRotation(): PaymentApi | undefined;
  /** Kills the process, if any, and waits until it is gone. */
  close(): Promise<void>;
}

interface Running {
  child: ChildProcess;
  ready: Promise<PaymentApi>;
  api?: PaymentApi;
}

/**
 * Manages instance A. A runs in its own Node process (`instance-a/main.ts` through tsx), so the
 * crash is real: when A reports that it charged and is stuck, the playground waits `killDelayMs`
 * and sends SIGKILL. Nothing in A runs after that: no release, no heartbeat; its lease just lapses.
 * On PostgreSQL its connections close with it, so PostgreSQL rolls back the transaction its charge
 * waited in, uncommitted (logged as `rolled-back`). A new process then starts in the background and
 * stands by for the next crash.
 */
export function createInstanceA({
  config,
  ledger,
  onWrite,
  sharedStore,
  log,
  killDelayMs,
}: InstanceAOptions): InstanceA {
  let state: InstancesStatus['a']['state'] = 'off';
  let current: Running | undefined;
  let lastKilledPid: number | undefined;
  let closing = false;

  function start(): Running {
    state = 'starting';
    const child = fork(ENTRY, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const running: Running = { child, ready: waitUntilReady(child) };
    running.ready.then(
      (api) => {
        running.api = api;
        if (current === running && state === 'starting') state = 'standby';
      },
      () => {
        if (current === running) state = 'failed';
      },
    );
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'call')
        void answerCall(message, ledger, sharedStore).then(
          (reply) => child.connected && child.send(reply, () => undefined),
        );
      if (message.type === 'wrote') onWrite(message.write);
      if (message.type === 'stuck' && current === running) {
        state = 'stuck';
        const { key, chargeId, fence, inTransaction } = message;
        log.add({
          instance: 'A',
          kind: 'stuck',
          key,
          chargeId,
          fence,
          ...(inTransaction ? { inTransaction } : {}),
          pid: child.pid,
        });
        setTimeout(() => kill(running, message), killDelayMs).unref();
      }
    });
    const failed = () => {
      if (current === running) state = 'failed';
    };
    child.on('exit', failed);
    child.on('error', failed); // a signal or message that could not be delivered: A is of no more use
    return running;
  }

  /** Kills A, stuck after `charged`; a charge still in its store transaction can never commit now. */
  function kill(running: Running, charged: Extract<ChildMessage, { type: 'stuck' }>): void {
    if (current !== running || closing) return;
    current = undefined;
    running.child.kill('SIGKILL');
    lastKilledPid = running.child.pid;
    const { key, fence, chargeId, inTransaction } = charged;
    log.add({ instance: 'A', kind: 'killed', key, fence, pid: running.child.pid });
    if (inTransaction) log.add({ instance: 'A', kind: 'rolled-back', key, fence, chargeId });
    standBy();
  }

  /** Starts the next instance A in the background, so the next crash need not wait for it. */
  function standBy(): void {
    if (closing) return;
    const next = start();
    current = next;
    next.ready.catch(() => undefined);
  }

  return {
    status: () => ({
      state,
      ...(current?.child.pid === undefined ? {} : { pid: current.child.pid }),
      ...(lastKilledPid === undefined ? {} : { lastKilledPid }),
    }),
    async enterRotation() {
      if (closing) throw new Error('the playground is closing');
      if (!current || state === 'failed') {
        current?.child.kill('SIGKILL');
        current = start();
      }
      const running = current;
      await running.ready;
      if (current === running && state === 'in-rotation') return;
      if (current !== running || state !== 'standby') throw new Error(`instance A is ${state}, not standing by`);
      state = 'in-rotation';
      log.add({ instance: 'A', kind: 'in-rotation', pid: running.child.pid });
    },
    inRotation: () => (state === 'in-rotation' || state === 'stuck' ? current?.api : undefined),
    async close() {
      closing = true;
      const child = current?.child;
      current = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resolves with A's API once it listens; rejects when it exits, fails to start or takes too long. */
function waitUntilReady(child: ChildProcess): Promise<PaymentApi> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`instance A did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onMessage = (message: ChildMessage) => {
      if (message.type !== 'ready') return;
      cleanup();
      resolve(forwardTo(message.port));
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`instance A exited (${signal ?? `code ${code}`}) before it listened`));
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', fail);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('error', fail);
  });
}
