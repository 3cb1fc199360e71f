import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PaymentApi } from './api-dependencies.js';
import { serveControl } from './control-routes.js';
import type { DemoState } from './demo-state.js';
import { GRAPHQL_PATH } from './graphql-api.js';
import type { Asset } from './page-assets.js';
import { servePayment } from './payment-route.js';
import { TRPC_PATH } from './trpc-api.js';

/** What the playground's request handler dispatches to. */
export interface PlaygroundApp {
  demo: DemoState;
  graphql: PaymentApi;
  trpc: PaymentApi;
  assets: Map<string, Asset>;
}

/** The payment API a path belongs to, if any. */
function paymentApiFor(app: PlaygroundApp, pathname: string): PaymentApi | undefined {
  if (pathname === GRAPHQL_PATH) return app.graphql;
  if (pathname === TRPC_PATH || pathname.startsWith(`${TRPC_PATH}/`)) return app.trpc;
  return undefined;
}

/**
 * The node:http request handler: the page, the JSON control endpoints, and the two payment APIs.
 * Every response closes its connection: Chromium silently re-sends a request whose reply was
 * lost on a reused keep-alive connection, which would hide the client helpers' own retries.
 */
export function createRequestHandler(app: PlaygroundApp) {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('connection', 'close');
    const origin = `http://${req.headers.host ?? 'localhost'}`;
    const { pathname } = new URL(`${origin}${req.url ?? '/'}`); // not new URL(path, base): a path like //x would name a host
    const api = paymentApiFor(app, pathname);
    if (api) return servePayment(api, app.demo, req, res, origin);
    if (await serveControl(app.demo, req, res, `${req.method} ${pathname}`)) return;
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
