import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { StartedEvent } from './ledger.js';

const serverScript = fileURLToPath(new URL('./server.ts', import.meta.url));
/** Generous: several tsx processes starting at once on a busy 2-CPU machine. */
const READY_TIMEOUT_MS = 120_000;

/** A running `server.ts` process. */
export interface ServerProcess {
  name: string;
  child: ChildProcess;
  graphqlUrl: string;
  trpcUrl: string;
  /** Every body start this process announced so far. */
  started: StartedEvent[];
  /** Resolves with the first announced body start matching `predicate` (past or future). */
  nextStart(predicate: (event: StartedEvent) => boolean, timeoutMs?: number): Promise<StartedEvent>;
  /** `kill -9`: resolves once the process is gone. */
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Starts `server.ts` with plain node and the tsx loader (not the `tsx` CLI, whose wrapper process
 * would survive a SIGKILL meant for the server), and waits for its ready line.
 */
export async function spawnServer(env: {
  REDIS_URL: string;
  PREFIX: string;
  SERVER_NAME: string;
  LEASE_MS?: number;
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', serverScript], {
    env: { ...process.env, ...env, LEASE_MS: env.LEASE_MS === undefined ? '' : String(env.LEASE_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const exited = once(child, 'exit').then(() => void children.delete(child));
  const started: StartedEvent[] = [];
  const waiters = new Set<() => void>();
  let ready: (urls: { graphqlUrl: string; trpcUrl: string }) => void;
  const readyLine = new Promise<{ graphqlUrl: string; trpcUrl: string }>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { ready?: { graphqlUrl: string; trpcUrl: string }; started?: StartedEvent };
    if (message.ready) ready(message.ready);
    if (message.started) {
      started.push(message.started);
      for (const wake of waiters) wake();
    }
  });
  const urls = await Promise.race([
    readyLine,
    exited.then(() => Promise.reject(new Error(`${env.SERVER_NAME} exited before it was ready`))),
    timeout(READY_TIMEOUT_MS, `${env.SERVER_NAME} was not ready within ${READY_TIMEOUT_MS} ms`),
  ]);

  return {
    name: env.SERVER_NAME,
    child,
    ...urls,
    started,
    async nextStart(predicate, timeoutMs = 60_000) {
      let wake = () => {};
      try {
        return await Promise.race([
          new Promise<StartedEvent>((resolve) => {
            wake = () => {
              const found = started.find(predicate);
              if (found) resolve(found);
            };
            waiters.add(wake);
            wake();
          }),
          timeout(timeoutMs, `${env.SERVER_NAME}: no matching body start within ${timeoutMs} ms`),
        ]);
      } finally {
        waiters.delete(wake);
      }
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function timeout(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}
