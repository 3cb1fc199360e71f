import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

/** The machine a run was measured on. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  redis: string;
  /** 1-minute load average when the run started: anything else running skews the figures. */
  loadAverage: number;
  /** 1-minute load average when the run ended. */
  loadAverageAtEnd?: number;
}

export function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
  return {
    cpus: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: /v=(\S+)/.exec(redisVersion)?.[1] ?? redisVersion.trim(),
    loadAverage: currentLoad(),
  };
}

/** The 1-minute load average now. */
export const currentLoad = () => loadavg()[0] ?? 0;

export function machineLine(machine: Machine): string {
  const end = machine.loadAverageAtEnd === undefined ? '' : `, at end ${machine.loadAverageAtEnd.toFixed(2)}`;
  const busy =
    Math.max(machine.loadAverage, machine.loadAverageAtEnd ?? 0) > machine.cpus
      ? ' (other processes were competing for the CPUs: absolute figures are depressed and noisy)'
      : '';
  return `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, Node ${machine.node}, redis-server ${machine.redis}; 1-min load average at start ${machine.loadAverage.toFixed(2)}${end}${busy}`;
}
