import { Idempotency, IdempotencyError, IdempotencyErrorCodes, type IdempotencyOptions } from '@node-idempotency/core';
import { RedisStorageAdapter } from '@node-idempotency/storage-adapter-redis';
import type { Request, RequestHandler, Response } from 'express';

/**
 * `@node-idempotency/core` on an Express route, glued the way its README shows (its Express
 * wrapper, `@node-idempotency/express`, is not in the registry): `onRequest` before the business
 * logic returns a stored response for a seen key or throws for a request in progress; after the
 * handler, `onResponse` stores the response and marks the key complete. Storage is its Redis
 * adapter (`@node-idempotency/storage-adapter-redis`, node-redis 4, its own connection).
 */
export async function nodeIdempotencyRoute(
  redisUrl: string,
  handler: (req: Request) => Promise<unknown>,
  options: IdempotencyOptions = {},
): Promise<RequestHandler> {
  const storage = new RedisStorageAdapter({ url: redisUrl });
  await storage.connect();
  const idempotency = new Idempotency(storage, { cacheKeyPrefix: 'bench:node-idempotency', ...options });
  const requestOf = (req: Request) => ({
    method: req.method,
    headers: req.headers as Record<string, unknown>,
    body: req.body as Record<string, unknown>,
    path: req.path,
  });
  return async (req: Request, res: Response) => {
    const request = requestOf(req);
    try {
      const stored = await idempotency.onRequest(request);
      if (stored) {
        res.status(Number(stored.additional?.status ?? 200)).json(stored.body);
        return;
      }
    } catch (error) {
      if (!(error instanceof IdempotencyError)) throw error;
      const status =
        error.code === IdempotencyErrorCodes.REQUEST_IN_PROGRESS
          ? 409
          : error.code === IdempotencyErrorCodes.IDEMPOTENCY_FINGERPRINT_MISSMATCH
            ? 422
            : 400;
      res.status(status).json({ code: error.code, message: error.message });
      return;
    }
    let body: unknown;
    try {
      body = await handler(req);
    } catch (error) {
      await idempotency.onResponse(request, { error: String(error), additional: { status: 500 } });
      throw error;
    }
    await idempotency.onResponse(request, { body, additional: { status: 200 } });
    res.json(body);
  };
}
