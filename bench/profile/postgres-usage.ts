/**
 * What PostgreSQL spends per request while a bench server is under load: the CPU of every
 * `postgres` process on this machine (its own, and that of the backends that exited, through the
 * postmaster's children totals) read from `/proc`, and the WAL it wrote. Linux only; the server
 * must run on this machine, as the bench's does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds used so far by the `postgres` processes (user + system, with their reaped children). */
export function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command's closing parenthesis: utime, stime, cutime, cstime are 14–17 of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
  }
  return ticks / TICKS_PER_SECOND;
}

/** PostgreSQL's usage while `run` ran: CPU seconds, and WAL bytes written. */
export async function measurePostgresUsage<T>(
  url: string,
  run: () => Promise<T>,
): Promise<{ value: T; cpuSeconds: number; walBytes: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const lsn = async () =>
      Number((await client.query<{ at: string }>("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn AS at")).rows[0]!.at);
    const [walBefore, cpuBefore] = [await lsn(), postgresCpuSeconds()];
    const value = await run();
    const [walAfter, cpuAfter] = [await lsn(), postgresCpuSeconds()];
    return { value, cpuSeconds: cpuAfter - cpuBefore, walBytes: walAfter - walBefore };
  } finally {
    await client.end();
  }
}
