// The published types as a user compiles them: packs the built package, installs the tarball with every
// peer (the versions installed here: the lockfile's, or the oldest inside scripts/peer-matrix.sh; npm
// refuses any outside our peer ranges) into a fresh consumer project in a temp dir,
// and compiles an ESM and a CommonJS file importing every subpath export with the oldest TypeScript 5.x
// we support and with TypeScript 7 (the native compiler), under moduleResolution node16, nodenext and
// bundler, strict and without skipLibCheck: an error in our declarations or the consumer fails the check.
// Run `npm run build` first (CI does).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import console from 'node:console';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** The TypeScript versions the published types are compiled with: the oldest supported 5.x, and 7. */
const TYPESCRIPT = { ts5: '5.7.2', ts7: '7.0.2' };
/** Peers whose types the subpaths import, with the type packages a user of them installs. */
const TYPE_PEERS = [
  '@apollo/client',
  '@apollo/server',
  '@envelop/core',
  '@opentelemetry/api',
  '@tanstack/query-core',
  '@trpc/client',
  '@trpc/server',
  '@types/node',
  '@types/pg',
  '@urql/core',
  'graphql',
  'graphql-yoga',
  'ioredis',
  'pg',
  'wonka',
];
const SETTINGS = [
  { module: 'node16', moduleResolution: 'node16' },
  { module: 'nodenext', moduleResolution: 'nodenext' },
  { module: 'esnext', moduleResolution: 'bundler' },
];

const root = fileURLToPath(new globalThis.URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (!existsSync(join(root, 'dist', 'index.d.ts'))) {
  console.error('check-types: dist/ is missing; run `npm run build` first.');
  process.exit(1);
}
/** The version installed here: the lockfile's after `npm ci`, the matrix's inside scripts/peer-matrix.sh. */
const installedVersion = (name) =>
  JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });

const consumer = mkdtempSync(join(tmpdir(), 'idempotent-mutations-types-'));
try {
  const tarball = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', consumer], root)
    .toString()
    .trim()
    .split('\n')
    .at(-1);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      `./${tarball}`,
      ...TYPE_PEERS.map((name) => `${name}@${installedVersion(name)}`),
      ...Object.entries(TYPESCRIPT).map(([alias, version]) => `${alias}@npm:typescript@${version}`),
    ],
    consumer,
  );

  const subpaths = Object.keys(manifest.exports)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => manifest.name + subpath.slice(1));
  const binding = (_specifier, index) => `m${index}`;
  writeFileSync(
    join(consumer, 'esm.mts'),
    subpaths.map((specifier, i) => `export * as ${binding(specifier, i)} from '${specifier}';`).join('\n') + '\n',
  );
  writeFileSync(
    join(consumer, 'cjs.cts'),
    subpaths.map((specifier, i) => `import ${binding(specifier, i)} = require('${specifier}');`).join('\n') +
      `\nexport = [${subpaths.map(binding).join(', ')}];\n`,
  );

  let failed = false;
  for (const [alias, version] of Object.entries(TYPESCRIPT)) {
    for (const setting of SETTINGS) {
      // Bundler resolution has no CommonJS `require` files of its own: the ESM file covers it.
      const files = setting.moduleResolution === 'bundler' ? ['esm.mts'] : ['esm.mts', 'cjs.cts'];
      const tsconfig = {
        compilerOptions: { ...setting, target: 'es2022', strict: true, noEmit: true, types: ['node'] },
        files,
      };
      writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
      const label = `TypeScript ${version}, moduleResolution ${setting.moduleResolution}`;
      const tsc = join(consumer, 'node_modules', alias, 'bin', 'tsc');
      let output = '';
      try {
        run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], consumer);
      } catch (error) {
        output = error.stdout?.toString() ?? String(error);
      }
      // Diagnostics in our declarations or the consumer's files fail the check; other packages' own
      // declarations (Apollo Client's CommonJS types, lru-cache under an older lib, …) are counted only.
      const errors = output.split('\n').filter((line) => /^\S.*error TS\d+/.test(line));
      // A compiler that failed without a diagnostic (not installed, crashed) fails the check too.
      if (output && !errors.length) errors.push(`tsc failed: ${output}`);
      const ours = errors.filter((line) =>
        /^(tsc failed|node_modules\/idempotent-mutations\/|esm\.mts|cjs\.cts)/.test(line),
      );
      const others = errors.length - ours.length;
      const note = others ? ` (${others} errors in other packages' declarations, not checked)` : '';
      if (ours.length) {
        failed = true;
        console.error(`FAIL ${label}${note}:\n${ours.join('\n')}`);
      } else {
        console.log(`ok   ${label}: ${subpaths.length} subpaths${note}`);
      }
    }
  }
  if (failed) process.exitCode = 1;
} finally {
  rmSync(consumer, { recursive: true, force: true });
}
