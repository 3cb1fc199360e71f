import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IdempotencyEvent } from '../src/core/events.js';
import { createRequestHandler } from './app.js';
import { createDemoState, type DemoState } from './demo-state.js';
import { createGraphqlApi } from './graphql-api.js';
import { loadPageAssets } from './page-assets.js';
import { openStore, type StoreKind } from './store.js';
import { createTrpcApi } from './trpc-api.js';

/** Options of {@link startPlayground}. */
export interface PlaygroundOptions {
  /** TCP port to listen on; `0` picks a free one. Defaults to `4000`. */
  port?: number;
  /** Interface to listen on. Defaults to `'127.0.0.1'`. */
  host?: string;
  /** Redis to keep idempotency records in (`createRedisStore`); without it they live in memory. Defaults to none: the memory store. */
  redisUrl?: string;
  /** Prefix of the playground's Redis keys. Defaults to `'playground:'`. */
  redisPrefix?: string;
}

/** Defaults of {@link PlaygroundOptions}. */
export const playgroundDefaults = { port: 4000, host: '127.0.0.1', redisPrefix: 'playground:' } as const;

/** A running playground. */
export interface Playground {
  /** The page's URL, such as `http://127.0.0.1:4000/`. */
  url: string;
  /** Which store holds the idempotency records. */
  store: StoreKind;
  /** The ledger, switches and counters, for tests and for a look from the outside. */
  demo: DemoState;
  /** Stops the server and closes the store. */
  close(): Promise<void>;
}

/**
 * Starts the playground: one node:http server with the page, a GraphQL Yoga endpoint (`/graphql`),
 * a tRPC endpoint (`/trpc`) and the JSON switches (`/api/*`). Rejects when the port is taken
 * (`code: 'EADDRINUSE'`) or Redis cannot be reached, after letting go of what it opened.
 */
export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const { port = playgroundDefaults.port, host = playgroundDefaults.host, redisUrl, redisPrefix = playgroundDefaults.redisPrefix } = options;
  const assets = await loadPageAssets();
  const store = await openStore({ redisUrl, redisPrefix });
  const demo = createDemoState(store.kind);
  const onEvent = (event: IdempotencyEvent) => {
    if (event.type === 'replayed') demo.counters.replayed += 1;
  };
  const dependencies = { ledger: demo.ledger, store: store.store, onEvent };
  const server = createServer(createRequestHandler({ demo, assets, graphql: createGraphqlApi(dependencies), trpc: createTrpcApi(dependencies) }));
  try {
    await listen(server, port, host);
  } catch (error) {
    await store.close();
    throw error;
  }
  const { port: actualPort } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`,
    store: store.kind,
    demo,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
