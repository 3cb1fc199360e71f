// The operators' CLI run as a child process, from source (tsx), as `npx idempotent-mutations …` runs its build.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the CLI with `args` after the `imports` (modules loaded first, e.g. to hide a peer); resolves with its exit code and output. */
export function runCli(imports: string[], args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const flags = ['tsx', ...imports].flatMap((module) => ['--import', module]);
  return new Promise((resolve) => {
    execFile(process.execPath, [...flags, 'src/cli.ts', ...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}
