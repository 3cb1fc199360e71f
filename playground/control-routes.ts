import type { ServerResponse } from 'node:http';
import type { DemoState } from './demo-state.js';

/** The JSON endpoints behind the page's buttons, by method and path. */
export const CONTROL_ROUTES = {
  state: 'GET /api/state',
  reset: 'POST /api/reset',
  prepareCrash: 'POST /api/crash/prepare',
} as const;

/** What the control endpoints act on. */
export interface ControlTarget {
  demo: DemoState;
  /** Puts instance A in front of the load balancer (starting it unless one stands by). */
  prepareCrash(): Promise<void>;
}

/**
 * Serves the page's JSON endpoints: `GET /api/state` (store, timing, counters, charges, server log,
 * instances), `POST /api/reset` (empties the ledger and the server log, zeroes the counters) and
 * `POST /api/crash/prepare` (instance A in front of the load balancer at `/cluster/*`). Each answers
 * with the state. Returns false when the request is for none of them.
 */
export async function serveControl(
  { demo, prepareCrash }: ControlTarget,
  res: ServerResponse,
  route: string,
): Promise<boolean> {
  try {
    switch (route) {
      case CONTROL_ROUTES.state:
        break;
      case CONTROL_ROUTES.reset:
        await demo.reset();
        break;
      case CONTROL_ROUTES.prepareCrash:
        await prepareCrash();
        break;
      default:
        return false;
    }
  } catch (error) {
    sendJson(res, 503, { error: (error as Error).message }); // instance A could not start, the database is away
    return true;
  }
  sendJson(res, 200, await demo.snapshot());
  return true;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}
