import { createRequire } from 'node:module';

/**
 * graphql 16 ships CommonJS (`main`) and ESM (`module`) builds without an `exports` map. Node loads
 * the CommonJS one for graphql-yoga, while Vite would give files it transforms the ESM one: two
 * `GraphQLError` classes, and Yoga would mask the library's errors. Test files hand this to
 * `vi.mock('graphql', …)` so every import sees the one instance a Node app has.
 */
export function nodeGraphql(): unknown {
  return createRequire(import.meta.url)('graphql');
}
