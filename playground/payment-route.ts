import type { IncomingMessage, ServerResponse } from 'node:http';
import { REPLAYED_HEADER } from '../src/core/http.js';
import { variantOf, type PaymentApi } from './api-dependencies.js';
import type { DemoState } from './demo-state.js';
import { sendFetchResponse, toFetchRequest } from './fetch-bridge.js';
import type { InstanceName } from './ledger.js';
import { requestKeyOf } from './request-key.js';
import type { ServerEventKind } from './server-log.js';
import { SettingsError, settingsOf, type Settings } from './settings.js';

/** The instance that serves a payment request, and the API it serves it with. */
export interface PaymentTarget {
  instance: InstanceName;
  api: PaymentApi;
  /** The path the API is served at (`/graphql`, `/trpc/…`). */
  path: string;
}

/** Thrown by an instance's API when its process died before answering. */
export class InstanceGoneError extends Error {
  override name = 'InstanceGoneError';
}

/** How the server log names an answer. */
function answerKind(status: number, replayed: boolean): ServerEventKind {
  if (status === 409) return 'conflict';
  if (status === 422) return 'mismatch';
  return replayed ? 'replayed' : 'answered';
}

/**
 * Serves one payment API request and logs what the instance did. The switches the request carries
 * (its page's own, see `SETTINGS_HEADER`) pick the variant (protected, waiting, unprotected); a
 * request with unreadable switches gets 400 and reaches no API. With the flaky switch on, the first successful response to
 * each idempotency key is lost: the mutation runs to the end, then the socket is destroyed instead
 * of answering, just as if the network had dropped the reply. An instance that dies before it
 * answers drops the connection the same way.
 */
export async function servePayment(
  target: PaymentTarget,
  demo: DemoState,
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
): Promise<void> {
  const { counters, serverLog } = demo;
  const request = await toFetchRequest(req, origin, target.path);
  let settings: Settings;
  try {
    settings = settingsOf(request.headers);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: error.message }));
    return;
  }
  counters.requests += 1;
  const key = requestKeyOf(request.headers);
  const started = Date.now();
  let response: Response;
  let body: ArrayBuffer;
  try {
    response = await target.api(request, variantOf(settings));
    body = await response.arrayBuffer(); // the mutation has fully run once the body is complete
  } catch (error) {
    if (!(error instanceof InstanceGoneError)) throw error;
    serverLog.add({ instance: target.instance, kind: 'no-answer', key });
    res.socket?.destroy();
    return;
  }
  const ms = Date.now() - started;
  const { status } = response;
  const replayed = response.headers.get(REPLAYED_HEADER) === 'true';
  if (settings.flaky && status >= 200 && status < 300 && key !== null && demo.lostResponses.loseFirst(key)) {
    counters.lostResponses += 1;
    serverLog.add({ instance: target.instance, kind: 'lost', key, status, ms });
    res.socket?.destroy();
    return;
  }
  const kind = answerKind(status, replayed);
  if (kind === 'conflict') counters.conflicts += 1;
  if (kind === 'mismatch') counters.mismatches += 1;
  if (kind === 'replayed') counters.replayed += 1;
  serverLog.add({ instance: target.instance, kind, key, status, ms });
  sendFetchResponse(res, response, body);
}
