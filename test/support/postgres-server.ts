import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** A PostgreSQL server of the test's own (Debian's binaries), on a free loopback port, trust auth, user postgres. */
export interface PostgresServer {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** Stops the server at once (SIGQUIT: immediate shutdown) and removes its data directory. */
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory (`/usr/lib/postgresql/<major>/bin`). */
function binaries(): string {
  const majors = readdirSync('/usr/lib/postgresql')
    .map(Number)
    .filter((major) => major > 0)
    .sort((a, b) => b - a);
  if (!majors.length) throw new Error('No PostgreSQL binaries under /usr/lib/postgresql: apt-get install postgresql');
  return `/usr/lib/postgresql/${majors[0]}/bin`;
}

/**
 * initdb (and PgBouncer) refuse to run as root: as root, the server runs as the `postgres` user (setpriv execs
 * in place, so the child process is the postmaster itself), in a temp directory owned by it.
 */
export function asServerUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]];
}

/** A temp directory the server user may write to (owned by `postgres` when running as root). */
export function serverUserTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  return dir;
}

export async function startPostgresServer(settings: string[] = []): Promise<PostgresServer> {
  const bin = binaries();
  const dir = serverUserTempDir('idem-pg-');
  const data = join(dir, 'data');
  execFileSync(...asServerUser(`${bin}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']), {
    stdio: 'ignore',
  });
  const port = await freePort();
  const [command, args] = asServerUser(`${bin}/postgres`, [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    ...settings.flatMap((setting) => ['-c', setting]),
  ]);
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`postgres did not start:\n${output}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`postgres exited (${code}):\n${output}`)));
  });
  child.stderr!.resume();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
