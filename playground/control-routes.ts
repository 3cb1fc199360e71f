import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoState } from './demo-state.js';
import { readBody } from './request-body.js';

/** The JSON endpoints behind the page's switches, by method and path. */
export const CONTROL_ROUTES = {
  state: 'GET /api/state',
  settings: 'POST /api/settings',
  reset: 'POST /api/reset',
} as const;

/**
 * Serves the page's JSON endpoints: `GET /api/state` (store, switches, counters, charges),
 * `POST /api/settings` with `{ "flaky"?: boolean, "idempotency"?: boolean }`, and
 * `POST /api/reset` (empties the ledger, zeroes the counters). Each answers with the state.
 * Returns false when the request is for none of them.
 */
export async function serveControl(demo: DemoState, req: IncomingMessage, res: ServerResponse, route: string): Promise<boolean> {
  switch (route) {
    case CONTROL_ROUTES.state:
      break;
    case CONTROL_ROUTES.settings:
      try {
        demo.updateSettings(JSON.parse((await readBody(req)).toString('utf8')));
      } catch (error) {
        sendJson(res, 400, { error: (error as Error).message });
        return true;
      }
      break;
    case CONTROL_ROUTES.reset:
      demo.reset();
      break;
    default:
      return false;
  }
  sendJson(res, 200, demo.snapshot());
  return true;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}
