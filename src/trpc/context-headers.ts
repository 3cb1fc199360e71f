/**
 * Reads request headers from and writes response headers to a tRPC context, as the standard
 * adapters let `createContext` expose them: `ctx.req.headersDistinct` (Node), `ctx.headers` or
 * `ctx.req.headers` (a fetch `Headers` or a Node headers object) for the request, `ctx.resHeaders` (fetch adapter) or `ctx.res`
 * (Node `ServerResponse`: standalone, Express, Next.js) for the response. Over WebSocket, `ctx.req` is
 * the connection's upgrade request: its headers belong to every call on the connection, so none is
 * read as one call's key.
 */
import { distinctHeaderValues } from '../core/node-headers.js';
import type { RawKey } from './options.js';

type Bag = Record<string, unknown>;

function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null;
}

/**
 * The raw value(s) of request header `name`, or `undefined` when the context exposes no request
 * headers, or only a WebSocket upgrade request's.
 */
export function readRequestHeader(ctx: unknown, name: string): RawKey {
  if (!isBag(ctx) || isWebSocketUpgrade(ctx.req)) return undefined;
  const distinct = distinctHeaderValues(ctx.req, name);
  if (distinct) return distinct;
  const headers = ctx.headers ?? (isBag(ctx.req) ? ctx.req.headers : undefined);
  if (!isBag(headers)) return undefined;
  if (typeof headers.get === 'function') return (headers.get as (name: string) => string | null).call(headers, name);
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
}

/** A WebSocket handshake (`Upgrade: websocket`), as the `ws` adapter hands it to `createContext`. */
function isWebSocketUpgrade(req: unknown): boolean {
  if (!isBag(req) || !isBag(req.headers)) return false;
  const { upgrade } = req.headers;
  return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket';
}

/** Sets response headers where the context exposes them; does nothing otherwise. */
export function setResponseHeaders(ctx: unknown, headers: Record<string, string>): void {
  if (!isBag(ctx)) return;
  const { resHeaders, res } = ctx;
  for (const [name, value] of Object.entries(headers)) {
    if (isBag(resHeaders) && typeof resHeaders.set === 'function') {
      (resHeaders.set as (name: string, value: string) => void).call(resHeaders, name, value);
    } else if (isBag(res) && typeof res.setHeader === 'function' && res.headersSent !== true) {
      (res.setHeader as (name: string, value: string) => void).call(res, name, value);
    }
  }
}
