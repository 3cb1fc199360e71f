import express, { type Express } from 'express';
import { getSharedIdempotencyService, idempotency as expressIdempotency } from 'express-idempotency';
import type { Redis } from 'ioredis';
import { createIdempotencyEngine } from '../support/library.js';
import { errorHeaders, IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER } from '../support/library.js';
import { isIdempotencyError } from '../support/library.js';
import type { IdempotencyStore } from '../../src/core/store.js';
import type { ResultCodec } from '../../src/index.js';
import { operationName, type Payment, type PaymentInput } from '../support/fixture.js';
import { expressIdempotencyRedisAdapter } from './express-idempotency-redis.js';
import { nodeIdempotencyRoute } from './node-idempotency.js';

/** The JSON response body, stored and replayed as it is. */
const RESPONSE_BODY: ResultCodec<string> = { stringify: (body) => body, parse: (body) => body };

/** Which idempotency layer guards `POST /payments`. */
export type ExpressGuard =
  | { kind: 'none' }
  | { kind: 'core'; store: IdempotencyStore }
  | { kind: 'express-idempotency'; redis: Redis }
  | { kind: 'node-idempotency'; redisUrl: string };

/**
 * An Express app with `POST /payments` running `insert`. With `core`, a few lines of glue call
 * this library's engine directly (there is no Express adapter); with `express-idempotency`, its
 * middleware runs with a Redis data adapter; with `node-idempotency`, `@node-idempotency/core`
 * runs with its Redis storage adapter, glued as its README shows.
 */
export async function createExpressApp(
  insert: (input: PaymentInput) => Promise<Payment>,
  guard: ExpressGuard,
): Promise<Express> {
  const app = express();
  app.use(express.json());
  if (guard.kind === 'express-idempotency') {
    app.post(
      '/payments',
      expressIdempotency({ dataAdapter: expressIdempotencyRedisAdapter(guard.redis, 86_400) }),
      async (req, res) => {
        if (getSharedIdempotencyService().isHit(req)) return;
        res.json(await insert(req.body as PaymentInput));
      },
    );
    return app;
  }
  if (guard.kind === 'node-idempotency') {
    app.post('/payments', await nodeIdempotencyRoute(guard.redisUrl, (req) => insert(req.body as PaymentInput)));
    return app;
  }
  if (guard.kind === 'core') {
    const engine = createIdempotencyEngine({ store: guard.store });
    const keyHeader = IDEMPOTENCY_KEY_HEADER.toLowerCase();
    app.post('/payments', async (req, res) => {
      try {
        const input = req.body as PaymentInput;
        const key = engine.resolveKey({ header: req.headers[keyHeader] });
        // The stored result is the response body as sent (what express-idempotency stores too): a
        // replay sends the same bytes back without reading them into objects and writing them again.
        const { value, replayed } = await engine.execute({
          scope: null,
          operation: operationName,
          key,
          input,
          codec: RESPONSE_BODY,
          run: async () => JSON.stringify(await insert(input)),
        });
        if (replayed) res.setHeader(REPLAYED_HEADER, 'true');
        res.type('json').send(value);
      } catch (error) {
        if (!isIdempotencyError(error)) throw error;
        res.status(error.status).set(errorHeaders(error)).json({ code: error.code, message: error.message });
      }
    });
    return app;
  }
  app.post('/payments', async (req, res) => {
    res.json(await insert(req.body as PaymentInput));
  });
  return app;
}
