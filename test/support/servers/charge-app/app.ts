import type { Redis } from 'ioredis';
import type { IdempotencyOptions } from '../../../../src/core/options.js';
import { standaloneHandler } from '../trpc/servers.js';
import { serveYoga } from '../yoga.js';
import { createGraphQLApp } from './graphql-app.js';
import { createLedger, type StartedEvent } from './ledger.js';
import { createTrpcRouter } from './trpc-app.js';

export interface AppOptions {
  /** Counts the runs of the mutation bodies (see `ledger.ts`). */
  redis: Redis;
  /** Prefix of the ledger's Redis keys. */
  prefix: string;
  /** Name of this server, returned in every charge. */
  server: string;
  /** Engine options of both adapters (`store`, `lease`, `maxKeyLength`, …). */
  idempotency: IdempotencyOptions;
  announce?: (event: StartedEvent) => void;
}

export interface RunningApp {
  /** GraphQL Yoga endpoint. */
  graphqlUrl: string;
  /** tRPC base URL (procedures at `${trpcUrl}/charge`). */
  trpcUrl: string;
  close(): Promise<void>;
}

/**
 * One node:http server (the Yoga harness's `serveYoga`) with GraphQL Yoga at `/graphql` and the tRPC
 * harness's standalone handler at `/trpc/`.
 */
export async function startApp({
  redis,
  prefix,
  server: name,
  idempotency,
  announce,
}: AppOptions): Promise<RunningApp> {
  const ledger = createLedger({ redis, prefix, server: name, announce });
  const trpc = standaloneHandler(createTrpcRouter(ledger, idempotency), { basePath: '/trpc/' });
  const served = await serveYoga(createGraphQLApp(ledger, idempotency), {
    wrap: (graphql) => (req, res) => (req.url?.startsWith('/trpc/') ? void trpc(req, res) : graphql(req, res)),
  });
  return { graphqlUrl: served.url, trpcUrl: `http://127.0.0.1:${served.port}/trpc`, close: served.close };
}
