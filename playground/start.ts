import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestHandler } from './app.js';
import { createDemoState, type DemoState } from './demo-state.js';
import { createInstanceA } from './instance-a/instance-a.js';
import { createLedger } from './ledger.js';
import { loadPageAssets } from './page-assets.js';
import { createPaymentApis } from './payment-apis.js';
import { createPostgresLedger } from './postgres-ledger.js';
import { openStore, type StoreKind } from './store.js';
import { resolveTiming, type PlaygroundTiming } from './timing.js';

/** Options of {@link startPlayground}. */
export interface PlaygroundOptions {
  /** TCP port to listen on; `0` picks a free one. Defaults to `4000`. */
  port?: number;
  /** Interface to listen on. Defaults to `'127.0.0.1'`. */
  host?: string;
  /** Redis to keep idempotency records in (`createRedisStore`); without it (and `databaseUrl`) they live in memory. Defaults to none: the memory store. */
  redisUrl?: string;
  /** Prefix of the playground's Redis keys. Defaults to `'playground:'`. */
  redisPrefix?: string;
  /**
   * PostgreSQL database (`postgres://…`) to keep idempotency records in (`createPostgresStore`), with
   * the ledger's `charges` table beside them, both in a schema of this run's own (`playground_<8 hex>`,
   * dropped by `close()`). Each protected payment writes its charge through `ctx.idempotency.tx()`.
   * Not together with `redisUrl`. Defaults to none: the memory store.
   */
  databaseUrl?: string;
  /** Lease, wait, charge latency and kill delay, in milliseconds. Defaults to `defaultTiming` (a 2 s lease). */
  timing?: Partial<PlaygroundTiming>;
}

/** Defaults of {@link PlaygroundOptions}. */
export const playgroundDefaults = { port: 4000, host: '127.0.0.1', redisPrefix: 'playground:' } as const;

/** A running playground. */
export interface Playground {
  /** The page's URL, such as `http://127.0.0.1:4000/`. */
  url: string;
  /** Which store holds the idempotency records. */
  store: StoreKind;
  /** On PostgreSQL, the run's schema (`playground_<8 hex>`) holding `idempotency_records` and `charges`; `undefined` otherwise. */
  postgresSchema?: string;
  /** The ledger, switches, counters and server log, for tests and for a look from the outside. */
  demo: DemoState;
  /** Stops the server, kills instance A and closes the store. */
  close(): Promise<void>;
}

/**
 * Starts the playground: one node:http server with the page, a GraphQL Yoga endpoint (`/graphql`),
 * a tRPC endpoint (`/trpc`), a load balancer in front of two app instances for the crash scenario
 * (`/cluster/graphql`, `/cluster/trpc`) and the JSON switches (`/api/*`). Instance B runs in this
 * process; instance A, a child process, starts when the crash scenario first needs it. Rejects
 * when the port is taken (`code: 'EADDRINUSE'`) or Redis or PostgreSQL cannot be reached, after
 * letting go of what it opened; with a TypeError when given both `redisUrl` and `databaseUrl`.
 */
export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const {
    port = playgroundDefaults.port,
    host = playgroundDefaults.host,
    redisUrl,
    redisPrefix = playgroundDefaults.redisPrefix,
    databaseUrl,
  } = options;
  const timing = resolveTiming(options.timing);
  const assets = await loadPageAssets();
  const store = await openStore({ redisUrl, redisPrefix, databaseUrl });
  const { database } = store;
  const instances = () => ({ a: a.status(), b: { pid: process.pid } });
  const demo = createDemoState({
    store: store.kind,
    timing,
    instances,
    openLedger: (onWrite) => {
      const latencyMs = timing.chargeLatencyMs;
      return database
        ? createPostgresLedger({ pool: database.pool, schema: database.location.schema, latencyMs, onWrite })
        : createLedger({ latencyMs, onWrite });
    },
  });
  const { ledger } = demo;
  const a = createInstanceA({
    config: {
      redisUrl,
      redisPrefix,
      postgres: database?.location,
      leaseMs: timing.leaseMs,
      waitMs: timing.waitMs,
      chargeLatencyMs: timing.chargeLatencyMs,
    },
    ledger,
    onWrite: demo.recordWrite,
    sharedStore: store.kind === 'memory' ? store.store : undefined,
    log: demo.serverLog,
    killDelayMs: timing.killDelayMs,
  });
  const b = createPaymentApis({
    instance: 'B',
    ledger,
    store: store.store,
    leaseMs: timing.leaseMs,
    waitMs: timing.waitMs,
  });
  const server = createServer(createRequestHandler({ demo, assets, a, b }));
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
    ...(database ? { postgresSchema: database.location.schema } : {}),
    demo,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await a.close();
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
