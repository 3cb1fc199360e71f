import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PaymentApis } from './api-dependencies.js';
import { serveControl } from './control-routes.js';
import type { DemoState } from './demo-state.js';
import { GRAPHQL_PATH } from './graphql-api.js';
import type { InstanceA } from './instance-a/instance-a.js';
import type { Asset } from './page-assets.js';
import { servePayment, type PaymentTarget } from './payment-route.js';
import { TRPC_PATH } from './trpc-api.js';

/** Where the load balancer in front of instances A and B listens: `/cluster/graphql`, `/cluster/trpc/…`. */
export const CLUSTER_PREFIX = '/cluster';

/** What the playground's request handler dispatches to. */
export interface PlaygroundApp {
  demo: DemoState;
  /** Instance B: the payment APIs in the playground's own process. */
  b: PaymentApis;
  /** Instance A: a child process, in front of the load balancer only for the crash scenario. */
  a: InstanceA;
  assets: Map<string, Asset>;
}

/** The API a path (without the cluster prefix) belongs to, if any. */
function channelOf(pathname: string): keyof PaymentApis | undefined {
  if (pathname === GRAPHQL_PATH) return 'graphql';
  if (pathname === TRPC_PATH || pathname.startsWith(`${TRPC_PATH}/`)) return 'trpc';
  return undefined;
}

/**
 * Who serves a payment request: `/graphql` and `/trpc` go to instance B; behind `/cluster`, the load
 * balancer sends it to instance A while A is in rotation (the crash scenario), else to B.
 */
function paymentTarget(app: PlaygroundApp, pathname: string, search: string): PaymentTarget | undefined {
  const behindBalancer = pathname.startsWith(`${CLUSTER_PREFIX}/`);
  const path = behindBalancer ? pathname.slice(CLUSTER_PREFIX.length) : pathname;
  const channel = channelOf(path);
  if (!channel) return undefined;
  const a = behindBalancer ? app.a.inRotation() : undefined;
  return a
    ? { instance: 'A', api: a, path: `${path}${search}` }
    : { instance: 'B', api: app.b[channel], path: `${path}${search}` };
}

/**
 * The node:http request handler: the page, the JSON control endpoints, and the payment APIs.
 * Every response closes its connection: Chromium silently re-sends a request whose reply was
 * lost on a reused keep-alive connection, which would hide the client helpers' own retries.
 */
export function createRequestHandler(app: PlaygroundApp) {
  const control = { demo: app.demo, prepareCrash: () => app.a.enterRotation() };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('connection', 'close');
    const origin = `http://${req.headers.host ?? 'localhost'}`;
    const { pathname, search } = new URL(`${origin}${req.url ?? '/'}`); // not new URL(path, base): a path like //x would name a host
    const target = paymentTarget(app, pathname, search);
    if (target) return servePayment(target, app.demo, req, res, origin);
    if (await serveControl(control, res, `${req.method} ${pathname}`)) return;
    const asset = req.method === 'GET' ? app.assets.get(pathname) : undefined;
    if (asset) {
      res.writeHead(200, { 'content-type': asset.contentType, 'cache-control': 'no-store' });
      res.end(asset.body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found');
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Playground error: ${(error as Error).message}`);
    });
  };
}
