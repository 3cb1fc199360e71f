import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { asServerUser, serverUserTempDir } from './postgres-server.js';

/** A PgBouncer in front of a PostgreSQL server, trust auth, user postgres. */
export interface PgBouncer {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(database: string): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `pgbouncer` (installed by scripts/ensure-system-deps.sh) in `pool_mode`, with
 * `poolSize` server connections per database: fewer than the clients, so clients share sessions.
 */
export async function startPgBouncer(
  target: { host: string; port: number },
  { poolMode = 'transaction', poolSize = 2 }: { poolMode?: string; poolSize?: number } = {},
): Promise<PgBouncer> {
  const dir = serverUserTempDir('idem-pgbouncer-');
  const port = await freePort();
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n', { mode: 0o644 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.host} port=${target.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `pool_mode = ${poolMode}`,
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 500',
      'ignore_startup_parameters = extra_float_digits,options',
    ].join('\n') + '\n',
    { mode: 0o644 },
  );
  const child = spawn(
    ...asServerUser(existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer', [
      join(dir, 'pgbouncer.ini'),
    ]),
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`pgbouncer did not start:\n${output}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/process up|listening on 127\.0\.0\.1/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`pgbouncer exited (${code}):\n${output}`)));
  });
  child.stderr!.resume();
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
