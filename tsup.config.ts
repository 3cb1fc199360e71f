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
  dts: true,
  splitting: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // structured-headers ships ESM only; bundling it keeps the CommonJS build loadable everywhere.
  noExternal: ['structured-headers'],
});
