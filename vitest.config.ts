import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** The run's redis-server (and `inject('redisUrl')`), for the tiers that talk to Redis. */
const redisSetup = ['test/support/global-setup.ts'];

export default defineConfig({
  resolve: {
    // graphql 16 has no exports map: Node loads its CommonJS build for every importer (Yoga too),
    // while Vite would pick its ESM build for our sources. Two copies of GraphQLError break Yoga's
    // error handling, so tests resolve graphql exactly as Node does.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Three tiers, run one after the other (`sequence.groupOrder`) so the multi-process storms of the
    // system tier never share the machine with the other tiers. `npm run test:<tier>` runs one.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // No Redis, no sockets, no child processes: runs in seconds.
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'types',
          // The type tests (`*.test-d.ts`, any tier), checked by tsc: kept apart so the unit tier stays fast.
          include: [],
          typecheck: { enabled: true, only: true, include: ['test/**/*.test-d.ts'] },
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Real redis-server (or PostgreSQL) and in-process HTTP / WebSocket servers, one process.
          include: ['test/integration/**/*.test.ts'],
          globalSetup: redisSetup,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'system',
          // Several processes, Redis Cluster / Sentinel / restarts, the browser, storms: generous
          // bounds so a busy machine slows them down without failing them.
          include: ['test/system/**/*.test.ts'],
          globalSetup: redisSetup,
          testTimeout: 300_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
