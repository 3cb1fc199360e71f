import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './request-body.js';

/** Reads a Node request into a fetch `Request` (body included) for a fetch-style handler. */
export async function toFetchRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
  }
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(await readBody(req));
  return new Request(`${origin}${req.url ?? '/'}`, { method, headers, body });
}

/** Writes a fetch `Response` whose body was already read. */
export function sendFetchResponse(res: ServerResponse, response: Response, body: ArrayBuffer): void {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.end(Buffer.from(body));
}
