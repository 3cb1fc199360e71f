/**
 * The library as users install it: the built `dist/` entry points (`npm run bench` builds them
 * first), typed from the sources. Benchmarks load it from here so that no contender that is this
 * library runs through tsx, whose `__name` wrappers the published build does not have.
 */
import { existsSync } from 'node:fs';
import type * as IndexEntry from '../../src/index.js';
import type * as AdapterKitEntry from '../../src/adapter-kit.js';
import type * as GraphqlEntry from '../../src/envelop/index.js';
import type * as RedisEntry from '../../src/stores/redis.js';
import type * as PostgresEntry from '../../src/stores/postgres.js';
import type * as TrpcEntry from '../../src/trpc/index.js';

async function entry<T>(name: string): Promise<T> {
  const url = new URL(`../../dist/${name}.js`, import.meta.url);
  if (!existsSync(url)) throw new Error(`dist/${name}.js is missing: run \`npm run build\` before the benchmarks.`);
  return (await import(url.href)) as T;
}

const index = await entry<typeof IndexEntry>('index');
export const {
  createIdempotencyEngine,
  createMemoryStore,
  IdempotencyConcurrentRequestError,
  errorHeaders,
  isIdempotencyError,
  IDEMPOTENCY_KEY_HEADER,
  REPLAYED_HEADER,
} = index;
export const { fingerprint, recordId } = await entry<typeof AdapterKitEntry>('adapter-kit');
export const { createRedisStore } = await entry<typeof RedisEntry>('redis');
export const { createPostgresStore } = await entry<typeof PostgresEntry>('postgres');
export const { useIdempotency } = await entry<typeof GraphqlEntry>('graphql');
export const { idempotency } = await entry<typeof TrpcEntry>('trpc');
