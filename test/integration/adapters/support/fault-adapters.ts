/**
 * The three server adapters of the adapter-fault matrix, each on a real HTTP server with its own
 * Redis store whose ioredis client goes through its own fault-injecting proxy (so a fault or an
 * outage aimed at one adapter touches no other), and the real client that calls it.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { IdempotencyEventHandler } from '../../../../src/core/events.js';
import { createRedisStore } from '../../../../src/stores/redis.js';
import { startFaultProxy, type FaultProxy } from '../../../support/redis/fault-proxy.js';
import { startApolloServer } from '../../../support/adapters/apollo.js';
import { graphqlHttp, startGraphQLServer, yogaHttp } from '../../../support/adapters/graphql.js';
import type { Ledger } from '../../../support/adapters/ledger.js';
import { startTrpcServer, trpcHttp } from '../../../support/adapters/trpc.js';
import type { Transport } from '../../../support/adapters/types.js';

export type AdapterKind = 'yoga' | 'apollo' | 'trpc';

export const ADAPTER_NAMES: Record<AdapterKind, string> = {
  yoga: 'GraphQL Yoga (fetch)',
  apollo: 'Apollo standalone (fetch)',
  trpc: 'tRPC httpLink',
};

/** The README's recommended client options. */
export const RECOMMENDED: RedisOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false };

export interface AdapterOptions {
  ledger: Ledger;
  /** The redis-server the proxy forwards to. */
  target: { host: string; port: number };
  lease: number;
  /** The store's per-call timeout. */
  timeout: number;
  /** ioredis options of the app's client, the one behind the proxy. */
  clientOptions: RedisOptions;
  /** Appended to the row name, e.g. the client options' name. */
  label: string;
  onEvent: IdempotencyEventHandler;
}

export interface Adapter {
  kind: AdapterKind;
  name: string;
  /** The real client of the adapter's server (`concurrent: 'reject'`). */
  transport: Transport;
  /** The app's ioredis client, behind `proxy`. */
  redis: Redis;
  proxy: FaultProxy;
  close(): Promise<void>;
}

export async function startAdapter(
  kind: AdapterKind,
  { ledger, target, lease, timeout, clientOptions, label, onEvent }: AdapterOptions,
): Promise<Adapter> {
  const proxy = await startFaultProxy({ target });
  const redis = new Redis(proxy.url, { ...clientOptions, lazyConnect: true });
  redis.on('error', () => {}); // the proxy closes connections on purpose; the store reports what fails
  await redis.connect(); // with the offline queue off, a command sent before `ready` would fail
  const store = createRedisStore({
    redis,
    prefix: `adapter-faults:${kind}:${Math.random().toString(36).slice(2)}:`,
    timeout,
  });
  const settings = { ledger, store, lease, concurrent: 'reject' as const, onEvent };
  const name = `${ADAPTER_NAMES[kind]}, ${label}`;
  const started =
    kind === 'yoga'
      ? await startGraphQLServer(settings).then((server) => ({ server, transport: yogaHttp(name, server) }))
      : kind === 'apollo'
        ? await startApolloServer({ ...settings, integration: 'standalone' }).then((server) => ({
            server,
            transport: graphqlHttp(name, server, 'header'),
          }))
        : await startTrpcServer(settings).then((server) => ({ server, transport: trpcHttp(name, server) }));
  return {
    kind,
    name,
    transport: started.transport,
    redis,
    proxy,
    close: async () => {
      await started.server.close();
      redis.disconnect();
      await proxy.close();
    },
  };
}
