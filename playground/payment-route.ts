import type { IncomingMessage, ServerResponse } from 'node:http';
import { IDEMPOTENCY_KEY_HEADER } from '../src/core/http.js';
import type { PaymentApi } from './api-dependencies.js';
import type { DemoState } from './demo-state.js';
import { sendFetchResponse, toFetchRequest } from './fetch-bridge.js';

/**
 * Serves one payment API request. Idempotency on routes it to the protected API, off to the
 * unprotected twin. With the flaky switch on, the first response to each idempotency key is
 * lost: the mutation runs to the end, then the socket is destroyed instead of answering, just as
 * if the network had dropped the reply. The client sees a network error and retries.
 */
export async function servePayment(api: PaymentApi, demo: DemoState, req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
  demo.counters.requests += 1;
  const request = await toFetchRequest(req, origin);
  const handle = demo.settings().idempotency ? api.protected : api.unprotected;
  const response = await handle(request);
  const body = await response.arrayBuffer(); // the mutation has fully run once the body is complete
  const key = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  if (demo.settings().flaky && key !== null && demo.lostResponses.loseFirst(key)) {
    demo.counters.lostResponses += 1;
    res.socket?.destroy();
    return;
  }
  sendFetchResponse(res, response, body);
}
