import { IdempotencyKeyInvalidError } from '../core/errors.js';
import type { RawKey } from '../core/key.js';
import { distinctHeaderValues, plainHeaderValues } from '../core/node-headers.js';

/** Where the plugin finds the operation's key header in an Envelop context. */
export interface HeaderSource {
  /** Whether the operation came in an HTTP request of its own: its answers carry HTTP statuses. */
  http: boolean;
  /** The header's value(s); throws where the context holds a request the plugin cannot read. */
  read(name: string): RawKey;
}

interface FetchHeaders {
  get(name: string): string | null;
}

/**
 * The operation's HTTP request in the context, as Envelop setups pass it: a fetch `Request` at
 * `context.request` (Yoga), a Node `IncomingMessage` at `context.req` (Envelop's README, Yoga on
 * Node beside the fetch one) or `context.request`, or bare headers at `context.headers` (a fetch
 * `Headers` or a plain object). A Node request that upgraded to a WebSocket is the connection's, not
 * one operation's: its key header is refused. A `request`, `req` or `headers` of any other shape is
 * a set-up the plugin cannot read the header from: reading it throws (never "no key"). A context
 * with none of them (graphql-ws, a plain executor) has no HTTP request and no header.
 */
export function headerSourceOf(context: unknown): HeaderSource {
  const { request, req, headers } = (typeof context === 'object' && context !== null ? context : {}) as {
    request?: unknown;
    req?: unknown;
    headers?: unknown;
  };
  const fetchRequest = headersOf(request);
  if (isFetchHeaders(fetchRequest))
    return { http: true, read: (name) => distinctHeaderValues(req, name) ?? fetchRequest.get(name) };
  for (const [place, candidate] of [
    ['req', req],
    ['request', request],
  ] as const) {
    const nodeHeaders = headersOf(candidate);
    if (!isPlainHeaders(nodeHeaders)) continue;
    const read = (name: string) =>
      distinctHeaderValues(candidate, name) ?? (plainHeaderValues(nodeHeaders, name) as RawKey);
    if (String(nodeHeaders.upgrade).toLowerCase() !== 'websocket') return { http: true, read };
    return { http: false, read: (name) => refuseConnectionHeader(name, read(name), place) };
  }
  if (isFetchHeaders(headers)) return { http: true, read: (name) => headers.get(name) };
  if (isPlainHeaders(headers)) return { http: true, read: (name) => plainHeaderValues(headers, name) as RawKey };
  const present = { request, req, headers };
  const unreadable = (Object.keys(present) as (keyof typeof present)[]).find(
    (place) => present[place] !== undefined && present[place] !== null,
  );
  if (!unreadable) return { http: false, read: () => undefined };
  return {
    http: false,
    read: (name) => {
      throw new Error(
        `useIdempotency cannot read the "${name}" header from context.${unreadable}, so the mutation was not run: put the fetch Request at context.request or Node's IncomingMessage at context.req (getEnveloped({ req })), or read the key with the getKey option.`,
      );
    },
  };
}

function headersOf(request: unknown): unknown {
  return typeof request === 'object' && request !== null ? (request as { headers?: unknown }).headers : undefined;
}

function isFetchHeaders(headers: unknown): headers is FetchHeaders {
  return typeof (headers as { get?: unknown } | null | undefined)?.get === 'function';
}

function isPlainHeaders(headers: unknown): headers is Record<string, unknown> {
  return typeof headers === 'object' && headers !== null && !isFetchHeaders(headers) && !Array.isArray(headers);
}

/** A key header on a WebSocket upgrade request would key every operation of the connection: refused. */
function refuseConnectionHeader(name: string, value: RawKey, place: string): RawKey {
  if (value === undefined || value === null) return undefined;
  throw new IdempotencyKeyInvalidError(
    `The "${name}" header of the WebSocket upgrade request (context.${place}) belongs to the connection, shared by every operation on it: it is not read as one operation's key. Send the key as the mutation's argument, or read it with the getKey option.`,
  );
}
