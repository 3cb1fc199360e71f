import type { RawKey } from '../core/key.js';
import { distinctHeaderValues } from '../core/node-headers.js';

/** The fetch `Request` part this adapter reads. */
interface HttpRequest {
  headers: { get(name: string): string | null };
}

/** The operation's HTTP request (Yoga puts the fetch `Request` in `context.request`); `undefined` over graphql-ws or a plain executor. */
export function httpRequestOf(context: unknown): HttpRequest | undefined {
  const request = (context as { request?: { headers?: { get?: unknown } } } | null)?.request;
  return typeof request?.headers?.get === 'function' ? (request as HttpRequest) : undefined;
}

/** The header's value(s): Node's distinct values where the Node request is at hand (a header sent twice shows), else the fetch header. */
export function readHeader(context: unknown, request: HttpRequest, name: string): RawKey {
  return distinctHeaderValues((context as { req?: unknown }).req, name) ?? request.headers.get(name);
}
