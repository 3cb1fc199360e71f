import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';

/** A real `redis-server` child process on a free loopback port. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL by default) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  start(): Promise<void>;
}

/** How a server other than a plain redis-server is launched (e.g. a Sentinel). */
export interface RedisLaunchOptions {
  /** Config file passed as the first argument (a Sentinel needs one it can rewrite). Defaults to none. */
  configFile?: string;
  /** Log text that means the process is ready. Defaults to `'Ready to accept connections'`. */
  readyLine?: string;
}

/** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
export async function startRedisServer(
  extraArgs: string[] = [],
  port?: number,
  launch: RedisLaunchOptions = {},
): Promise<RedisServer> {
  const chosenPort = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'idem-redis-'));
  const { configFile, readyLine = 'Ready to accept connections' } = launch;
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const args = [
      ...(configFile ? [configFile] : []),
      '--port',
      String(chosenPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extraArgs,
    ];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(readyLine)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot start redis-server (${error.message}); install it: apt-get install -y redis-server`));
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  async function stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  }

  await start();
  process.once('exit', () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return { port: chosenPort, url: `redis://127.0.0.1:${chosenPort}`, stop, start };
}
