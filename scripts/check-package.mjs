// Loads the built package through its own exports map, as a user would, in ESM and CommonJS:
// every subpath resolves, error classes are one class across subpaths, and the client and tRPC
// entries do not drag in graphql. Run after `npm run build` (CI does).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import process from 'node:process';
import { URL } from 'node:url';

const require = createRequire(import.meta.url);
const subpaths = [
  'idempotent-mutations',
  'idempotent-mutations/adapter-kit',
  'idempotent-mutations/redis',
  'idempotent-mutations/graphql',
  'idempotent-mutations/apollo-server',
  'idempotent-mutations/trpc',
  'idempotent-mutations/client',
  'idempotent-mutations/apollo-client',
  'idempotent-mutations/urql',
  'idempotent-mutations/tanstack-query',
  'idempotent-mutations/opentelemetry',
  'idempotent-mutations/postgres',
];
const expected = {
  'idempotent-mutations': [
    'createIdempotencyEngine',
    'createMemoryStore',
    'IdempotencyError',
    'IdempotencyKeyMismatchError',
  ],
  'idempotent-mutations/adapter-kit': ['createEngine', 'keepsRecord', 'resolveScope', 'resolveKey'],
  'idempotent-mutations/redis': ['createRedisStore'],
  'idempotent-mutations/graphql': ['useIdempotency'],
  'idempotent-mutations/apollo-server': ['idempotencyPlugin'],
  'idempotent-mutations/trpc': ['idempotency'],
  'idempotent-mutations/client': ['createIdempotentFetch', 'idempotencyLink', 'idempotencyHeaders'],
  'idempotent-mutations/apollo-client': ['createIdempotencyLink'],
  'idempotent-mutations/urql': ['idempotencyExchange'],
  'idempotent-mutations/tanstack-query': ['idempotentMutationFn'],
  'idempotent-mutations/opentelemetry': ['createIdempotencyTelemetry', 'instrumentStore'],
  'idempotent-mutations/postgres': ['createPostgresStore', 'postgresStoreSchema'],
};

for (const subpath of subpaths) {
  const esm = await import(subpath);
  const cjs = require(subpath);
  for (const name of expected[subpath]) {
    assert.equal(typeof esm[name], 'function', `ESM ${subpath} exports ${name}`);
    assert.equal(typeof cjs[name], 'function', `CJS ${subpath} exports ${name}`);
  }
}

const core = await import('idempotent-mutations');
const engine = core.createIdempotencyEngine();
const error = await engine
  .execute({ scope: null, operation: 'op', key: 'k', input: 1, run: async () => 1 })
  .then(() => engine.execute({ scope: null, operation: 'op', key: 'k', input: 2, run: async () => 2 }))
  .catch((caught) => caught);
assert.ok(error instanceof core.IdempotencyKeyMismatchError, 'one error class for every importer');
assert.equal(error.status, 422);

// A fresh CommonJS process proves which modules a subpath loads.
const { execFileSync } = await import('node:child_process');
const loadedBy = (subpath) =>
  execFileSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(subpath)}); console.log(Object.keys(require.cache).join('\\n'))`],
    { encoding: 'utf8' },
  );
for (const subpath of [
  'idempotent-mutations/client',
  'idempotent-mutations/trpc',
  'idempotent-mutations',
  'idempotent-mutations/adapter-kit',
  'idempotent-mutations/urql',
  'idempotent-mutations/tanstack-query',
]) {
  const loaded = loadedBy(subpath);
  assert.ok(!/node_modules[\\/]graphql[\\/]/.test(loaded), `${subpath} does not load graphql`);
  if (subpath !== 'idempotent-mutations/trpc') assert.ok(!/@trpc/.test(loaded), `${subpath} does not load @trpc`);
}
// The client-side entries load no server library: no ioredis, no graphql-yoga, no Envelop.
for (const subpath of [
  'idempotent-mutations/client',
  'idempotent-mutations/apollo-client',
  'idempotent-mutations/urql',
  'idempotent-mutations/tanstack-query',
]) {
  const loaded = loadedBy(subpath);
  assert.ok(
    !/node_modules[\\/](ioredis|graphql-yoga|@envelop)[\\/]/.test(loaded),
    `${subpath} does not load ioredis or graphql-yoga`,
  );
}
// The OpenTelemetry entry loads the peer @opentelemetry/api (not a bundled copy) and the core, no server or store library.
{
  const loaded = loadedBy('idempotent-mutations/opentelemetry');
  assert.ok(
    !/node_modules[\\/](graphql|ioredis|graphql-yoga|@envelop|@trpc|@apollo)[\\/]/.test(loaded),
    'idempotent-mutations/opentelemetry loads no graphql, ioredis or server library',
  );
  assert.ok(
    /node_modules[\\/]@opentelemetry[\\/]api[\\/]/.test(loaded),
    'idempotent-mutations/opentelemetry loads @opentelemetry/api from node_modules (a peer, not bundled)',
  );
}
// The bin: package.json names a built file with a shebang, and it runs (its help, exit code 0; bad usage, exit code 2).
{
  const { readFileSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const bin = manifest.bin?.['idempotent-mutations'];
  assert.equal(bin, './dist/cli.js', 'package.json bin "idempotent-mutations" is ./dist/cli.js');
  const path = new URL(`../${bin}`, import.meta.url);
  assert.ok(readFileSync(path, 'utf8').startsWith('#!/usr/bin/env node\n'), `${bin} starts with a node shebang`);
  const help = spawnSync(process.execPath, [path.pathname, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, `${bin} --help exits 0: ${help.stderr}`);
  assert.match(help.stdout, /idempotent-mutations inspect\|forget/, `${bin} --help prints its usage`);
  const bad = spawnSync(process.execPath, [path.pathname, 'inspect'], { encoding: 'utf8' });
  assert.equal(bad.status, 2, `${bin} with bad usage exits 2`);
}
process.stdout.write(
  `package check: the bin runs; ${subpaths.length} subpaths load in ESM and CommonJS; errors share one class; client and trpc entries load no graphql; client-side entries load no server library; opentelemetry loads no graphql or ioredis\n`,
);
