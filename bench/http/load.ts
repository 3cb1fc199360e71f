import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { mutationRequest, type Framework, type ServerConfig } from './servers.js';

/** A bench server running in its own child process. */
export interface ServerProcess {
  url: string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: the process dies at once, mid-request, with no cleanup of any kind. */
  kill(): Promise<void>;
}

const entry = fileURLToPath(new URL('./server-process.ts', import.meta.url));

/** Starts `server-process.ts` under tsx with `config` (and Node's `nodeFlags`, e.g. `--cpu-prof`) and waits for its port. */
export const startServerProcess = (config: ServerConfig, nodeFlags: string[] = []) =>
  spawnServer(entry, [JSON.stringify(config)], nodeFlags);

/** Starts a TypeScript server entry under tsx and waits for it to print `listening <port>`. */
export async function spawnServer(file: string, args: string[], nodeFlags: string[] = []): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return { url: `http://127.0.0.1:${port}`, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/** Throughput and latency of one load run. */
export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Sends the framework's mutation for `seconds` over `connections` keep-alive connections; each
 * request carries `Idempotency-Key: "<keyFor(n)>"` with `n` counting up from 0.
 */
export async function load(
  server: ServerProcess,
  framework: Framework,
  { seconds, connections, keyFor }: { seconds: number; connections: number; keyFor: (n: number) => string },
): Promise<LoadResult> {
  const { path, body } = mutationRequest[framework];
  let n = 0;
  const result = await autocannon({
    url: server.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path,
        body,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, 'idempotency-key': `"${keyFor(n++)}"` },
        }),
      },
    ],
  });
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(
      `load on ${server.url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses`,
    );
  }
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

/** Sends the mutation once with `key`, for preparing replays. */
export async function sendOnce(server: ServerProcess, framework: Framework, key: string): Promise<void> {
  const { path, body } = mutationRequest[framework];
  const response = await fetch(server.url + path, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
  });
  if (!response.ok) throw new Error(`${framework} answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}
