import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A playground started as `npm run playground` starts it: `tsx playground/server.ts`. */
export interface SpawnedPlayground {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the first printed line that matches, or rejects when the process exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Sends SIGTERM (if still running) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns the playground's CLI with `env` on top of this process's environment. */
export function spawnPlayground(env: Record<string, string>): SpawnedPlayground {
  const child = spawn('node_modules/.bin/tsx', ['playground/server.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        let settled = false;
        const settle = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          listeners.delete(check);
          clearTimeout(timer);
          outcome();
        };
        const check = () => {
          const match = output.match(pattern);
          if (match) settle(() => resolve(match));
        };
        const timer = setTimeout(
          () => settle(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`))),
          timeoutMs,
        );
        void exited.then((code) => {
          check();
          settle(() => reject(new Error(`exited with ${code} before printing ${pattern}; output:\n${output}`)));
        });
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
