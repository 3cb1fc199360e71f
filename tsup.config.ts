import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    redis: 'src/stores/redis.ts',
    'adapter-kit': 'src/adapter-kit.ts',
    graphql: 'src/envelop/index.ts',
    'apollo-server': 'src/apollo-server/index.ts',
    trpc: 'src/trpc/index.ts',
    client: 'src/client/index.ts',
    'apollo-client': 'src/apollo-client/index.ts',
    urql: 'src/urql/index.ts',
    'tanstack-query': 'src/tanstack-query/index.ts',
    opentelemetry: 'src/opentelemetry/index.ts',
    postgres: 'src/stores/postgres.ts',
    cli: 'src/cli.ts',
  },
  format: ['esm', 'cjs'],
  // superjson's declarations are inlined too, so the CommonJS types import no ESM-only package.
  dts: { resolve: ['superjson'] },
  splitting: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // structured-headers and superjson (with copy-anything and is-what) ship ESM only; bundling them
  // keeps the CommonJS build loadable on every supported Node.js without require(esm).
  noExternal: ['structured-headers', 'superjson', 'copy-anything', 'is-what'],
});
