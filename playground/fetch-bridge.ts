import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './request-body.js';

/** Headers of one hop, which a relayed response must not copy (the body was already decoded and is sent whole). */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding']);

/** Reads a Node request into a fetch `Request` (body included) for a fetch-style handler, at `path` (the request's own by default). */
export async function toFetchRequest(req: IncomingMessage, origin: string, path = req.url ?? '/'): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
  }
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(await readBody(req));
  return new Request(`${origin}${path}`, { method, headers, body });
}

/** Writes a fetch `Response` whose body was already read. */
export function sendFetchResponse(res: ServerResponse, response: Response, body: ArrayBuffer): void {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (!HOP_HEADERS.has(name)) res.setHeader(name, value);
  });
  res.end(Buffer.from(body));
}
