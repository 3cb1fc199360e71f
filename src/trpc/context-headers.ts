/**
 * Reads request headers from and writes response headers to a tRPC context, as the standard
 * adapters let `createContext` expose them: `ctx.req.headersDistinct` (Node), `ctx.headers` or
 * `ctx.req.headers` (a fetch `Headers` or a Node headers object) for the request, `ctx.resHeaders` (fetch adapter) or `ctx.res`
 * (Node `ServerResponse`: standalone, Express, Next.js) for the response. Over WebSocket, `ctx.req` is
 * the connection's upgrade request: its headers belong to every call on the connection, so none is
 * read as one call's key.
 */
import { distinctHeaderValues, plainHeaderValues } from '../core/node-headers.js';

type Bag = Record<string, unknown>;

function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null;
}

/**
 * The raw value(s) of request header `name`, or `undefined` when the context exposes no request
 * headers, or only a WebSocket upgrade request's. A plain headers object is read
 * case-insensitively (`{ 'Idempotency-Key': 'k' }` as a hand-built context keeps it). What is not a
 * string is returned as it is, for the key parser to refuse.
 */
export function readRequestHeader(ctx: unknown, name: string): unknown {
  if (!isBag(ctx) || isWebSocketContext(ctx)) return undefined;
  const distinct = distinctHeaderValues(ctx.req, name);
  if (distinct) return distinct;
  const headers = requestHeaders(ctx);
  if (!isBag(headers)) return undefined;
  if (typeof headers.get === 'function') return (headers.get as (name: string) => string | null).call(headers, name);
  return plainHeaderValues(headers, name);
}

/** The request headers the context exposes: `ctx.headers`, else `ctx.req.headers`. */
function requestHeaders(ctx: Bag): unknown {
  return ctx.headers ?? (isBag(ctx.req) ? ctx.req.headers : undefined);
}

/**
 * Whether the context shows this call's request headers, or shows that the call has none of its
 * own (a WebSocket context: the upgrade request's headers belong to the connection). `false` for a
 * context such as `{ userId }`, built without `req` or `headers`: a header the client sent cannot
 * be seen there.
 */
export function exposesRequestHeaders(ctx: unknown): boolean {
  if (!isBag(ctx)) return false;
  return isWebSocketContext(ctx) || isBag(requestHeaders(ctx));
}

/**
 * Whether the context is one of the WebSocket adapter's (`@trpc/server/adapters/ws`), whose
 * `createContext` gets the socket as `res`, the connection's upgrade request as `req` and an `info`
 * without calls. Any one of them shows it: `res` is a WebSocket (`send` and a numeric `readyState`,
 * no `setHeader`); `req` is a WebSocket handshake (a `GET` with `Upgrade: websocket` and
 * `Connection: upgrade`, RFC 6455 §4.1); `info` lists no call (an HTTP request always has one).
 * Headers that carry `Sec-WebSocket-Key` (in `ctx.headers` or `ctx.req.headers`) show it too. One
 * `Upgrade` header alone is not enough: a plain `POST` that carries `Upgrade: websocket` is an HTTP
 * call whose key header is its own.
 */
export function isWebSocketContext(ctx: Bag): boolean {
  const { req, res, info } = ctx;
  if (
    isBag(res) &&
    typeof res.send === 'function' &&
    typeof res.readyState === 'number' &&
    typeof res.setHeader !== 'function'
  )
    return true;
  if (isBag(info) && Array.isArray(info.calls) && info.calls.length === 0) return true;
  if (carriesHandshakeKey(ctx.headers) || (isBag(req) && carriesHandshakeKey(req.headers))) return true;
  if (!isBag(req) || !isBag(req.headers) || typeof req.method !== 'string' || req.method.toUpperCase() !== 'GET')
    return false;
  return hasToken(req.headers.upgrade, 'websocket') && hasToken(req.headers.connection, 'upgrade');
}

/**
 * Whether request headers (a Node headers object or a fetch `Headers`) are a WebSocket handshake's:
 * only a handshake carries `Sec-WebSocket-Key` (RFC 6455 §4.1). A context that copied the upgrade
 * request's headers into `ctx.headers` is a WebSocket context too, whose headers belong to the
 * connection, not to one call.
 */
function carriesHandshakeKey(headers: unknown): boolean {
  if (!isBag(headers)) return false;
  if (typeof headers.has === 'function')
    return (headers.has as (name: string) => boolean).call(headers, 'sec-websocket-key');
  return headers['sec-websocket-key'] !== undefined;
}

/** Whether a Node header value (a comma-separated token list) holds `token`, case-insensitively. */
function hasToken(value: unknown, token: string): boolean {
  const values = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return values.some(
    (item) => typeof item === 'string' && item.split(',').some((part) => part.trim().toLowerCase() === token),
  );
}

/**
 * How many calls the HTTP request of this call carries, as far as the context shows it: `info`
 * (`createContext`'s `info`, when the context keeps it: `info.calls`), else the request URL
 * (`ctx.req.originalUrl` / `ctx.req.url`, Node or fetch `Request`) read as @trpc/server 11 reads
 * it (`?batch=1`, the procedure paths joined by `,`, percent-decoded: `contentType.ts`,
 * `resolveResponse.ts`), and at least `batchIndex + 1` (the middleware's own index in the batch).
 * `1` when nothing shows a batch.
 */
export function batchSize(ctx: unknown, batchIndex: number): number {
  const atLeast = Number.isInteger(batchIndex) && batchIndex > 0 ? batchIndex + 1 : 1;
  if (!isBag(ctx)) return atLeast;
  const { info, req } = ctx;
  if (isBag(info) && Array.isArray(info.calls) && typeof info.isBatchCall === 'boolean') {
    return Math.max(atLeast, info.isBatchCall ? info.calls.length : 1);
  }
  const url = isBag(req) ? (typeof req.originalUrl === 'string' ? req.originalUrl : req.url) : undefined;
  return typeof url === 'string' ? Math.max(atLeast, callsInUrl(url)) : atLeast;
}

/**
 * The number of calls of a tRPC request URL: with `?batch=1`, one more than the commas of its
 * percent-decoded path (`/trpc/a,b?batch=1` is two). Commas elsewhere in the path (a mount path)
 * can only make it larger, which refuses a shared header: the safe side.
 */
function callsInUrl(url: string): number {
  const parsed = parseUrl(url);
  return parsed?.batch ? parsed.path.split(',').length : 1;
}

/** A request URL's percent-decoded path and whether it is a batch (`?batch=1`); `undefined` when it cannot be parsed. */
function parseUrl(url: string): { path: string; batch: boolean } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://localhost');
  } catch {
    return undefined;
  }
  let path = parsed.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // tRPC refuses a path it cannot decode; count what is there.
  }
  return { path, batch: parsed.searchParams.get('batch') === '1' };
}

/**
 * Whether the context shows that procedure `path` is not one of the calls of its HTTP request: the
 * context's `info.calls` (when `createContext` keeps its `info`), else the request URL
 * (`ctx.req.originalUrl` / `ctx.req.url`, which tRPC reads the paths from: `/trpc/a,b?batch=1`) lists
 * other procedures only. Such a call was made from inside another procedure (`createCaller(ctx)`):
 * the request's headers are not its own. `false` when the context shows neither.
 */
export function isForeignCall(ctx: unknown, path: string): boolean {
  if (!isBag(ctx)) return false;
  const { info, req } = ctx;
  if (isBag(info) && Array.isArray(info.calls))
    return !info.calls.some((call: unknown) => isBag(call) && call.path === path);
  const url = isBag(req) ? (typeof req.originalUrl === 'string' ? req.originalUrl : req.url) : undefined;
  const parsed = typeof url === 'string' ? parseUrl(url) : undefined;
  if (!parsed) return false;
  return !parsed.path.split(',').some((segment) => segment === path || segment.endsWith(`/${path}`));
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
