import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Redis } from 'ioredis';
import type { IdempotencyOptions } from '../../../../src/core/options.js';
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
  server: Server;
  /** GraphQL Yoga endpoint. */
  graphqlUrl: string;
  /** tRPC base URL (procedures at `${trpcUrl}/charge`). */
  trpcUrl: string;
  close(): Promise<void>;
}

/** One node:http server with GraphQL Yoga at `/graphql` and the tRPC standalone handler at `/trpc/`. */
export async function startApp({
  redis,
  prefix,
  server: name,
  idempotency,
  announce,
}: AppOptions): Promise<RunningApp> {
  const ledger = createLedger({ redis, prefix, server: name, announce });
  const yoga = createGraphQLApp(ledger, idempotency);
  const trpc = createHTTPHandler({
    router: createTrpcRouter(ledger, idempotency),
    basePath: '/trpc/',
    createContext: ({ req, res }) => ({
      req,
      res,
      user: typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : undefined,
    }),
  });
  const server = createServer((req, res) => (req.url?.startsWith('/trpc/') ? trpc(req, res) : yoga(req, res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    graphqlUrl: `${base}/graphql`,
    trpcUrl: `${base}/trpc`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
