/**
 * Instance A: a second app instance in its own Node process, started by the playground for the
 * crash scenario. It serves the same GraphQL and tRPC APIs with its own idempotency engines, on
 * the store both instances share, and writes to the playground's ledger (on PostgreSQL, to the
 * ledger's table, through its own store transaction). After each charge it gets stuck (it never
 * answers) and tells the playground, which then kills it with SIGKILL.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiVariant, PaymentApi } from '../api-dependencies.js';
import { sendFetchResponse, toFetchRequest } from '../fetch-bridge.js';
import { GRAPHQL_PATH } from '../graphql-api.js';
import { createPaymentApis } from '../payment-apis.js';
import { joinRunSchema } from '../postgres.js';
import { createPostgresLedger } from '../postgres-ledger.js';
import { openStore } from '../store.js';
import { TRPC_PATH } from '../trpc-api.js';
import { CONFIG_ENV, VARIANT_HEADER, type InstanceConfig } from './messages.js';
import { connectToParent } from './parent-link.js';
import { remoteLedger, remoteStore } from './remote-access.js';

const VARIANTS: readonly string[] = ['protected', 'waiting', 'unprotected'] satisfies ApiVariant[];

async function main(): Promise<void> {
  const config = JSON.parse(process.env[CONFIG_ENV] ?? '{}') as InstanceConfig;
  const link = connectToParent();
  process.on('disconnect', () => process.exit(0)); // the playground is gone: so is A
  const database = config.postgres && joinRunSchema(config.postgres);
  const store = database
    ? database.store
    : config.redisUrl
      ? (await openStore({ redisUrl: config.redisUrl, redisPrefix: config.redisPrefix })).store
      : remoteStore(link);
  const ledger = database
    ? createPostgresLedger({
        pool: database.pool,
        schema: database.location.schema,
        latencyMs: config.chargeLatencyMs,
        onWrite: (write) => link.notify({ type: 'wrote', write }),
      })
    : remoteLedger(link);
  const apis = createPaymentApis({
    instance: 'A',
    ledger,
    store,
    leaseMs: config.leaseMs,
    waitMs: config.waitMs,
    afterCharge: (charge, { inTransaction }) => {
      link.notify({ type: 'stuck', key: charge.requestKey, chargeId: charge.id, fence: charge.fence, inTransaction });
      return new Promise<void>(() => {}); // stuck for good: the heartbeat keeps the lease until the process is killed
    },
  });

  function apiFor(pathname: string): PaymentApi | undefined {
    if (pathname === GRAPHQL_PATH) return apis.graphql;
    if (pathname.startsWith(`${TRPC_PATH}/`)) return apis.trpc;
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('connection', 'close');
    const origin = `http://${req.headers.host ?? 'localhost'}`;
    const api = apiFor(new URL(`${origin}${req.url ?? '/'}`).pathname);
    const variant = req.headers[VARIANT_HEADER];
    if (!api || typeof variant !== 'string' || !VARIANTS.includes(variant)) {
      res.writeHead(404).end();
      return;
    }
    const response = await api(await toFetchRequest(req, origin), variant as ApiVariant);
    sendFetchResponse(res, response, await response.arrayBuffer());
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      res
        .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`Instance A error: ${(error as Error).message}`);
    });
  });
  server.listen(0, '127.0.0.1', () => link.notify({ type: 'ready', port: (server.address() as AddressInfo).port }));
}

main().catch((error: unknown) => {
  console.error(`Instance A could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
