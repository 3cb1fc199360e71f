/**
 * The Express app the guarantee checks run against: `POST /payments` guarded by this library or
 * by a peer. The handler counts its executions in Redis (the count survives a killed process),
 * then waits as the `x-bench-delay` header says (milliseconds, or `hang`: never finishes), and
 * answers with a new payment id and the caller (`x-user`).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { getSharedIdempotencyService, idempotency as expressIdempotency } from 'express-idempotency';
import type { Redis } from 'ioredis';
import { createIdempotencyEngine } from '../../src/engine.js';
import { isIdempotencyError } from '../../src/core/errors.js';
import { errorHeaders, IDEMPOTENCY_KEY_HEADER } from '../../src/core/http.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { expressIdempotencyRedisAdapter } from '../http/express-idempotency-redis.js';
import { nodeIdempotencyRoute } from '../http/node-idempotency.js';
import { operationName } from '../support/fixture.js';
import { powertoolsIdempotent } from '../support/powertools.js';

export type GuaranteeGuard = 'library' | 'express-idempotency' | 'node-idempotency' | 'powertools';
export const GUARANTEE_GUARDS: GuaranteeGuard[] = ['library', 'express-idempotency', 'node-idempotency', 'powertools'];

/** What the handler needs: the key its executions are counted under, the caller, how long to take. */
interface Work {
  key: string;
  user: string;
  delay: string;
}

export interface Charged {
  id: string;
  user: string;
}

/** Redis key counting the handler's executions for one idempotency key. */
export const runsKey = (guard: GuaranteeGuard, key: string) => `bench:guarantees:runs:${guard}:${key}`;

export async function createGuaranteeApp(
  guard: GuaranteeGuard,
  redis: Redis,
  redisUrl: string,
  leaseMs: number,
): Promise<Express> {
  const rawKey = (req: Request) => String(req.headers['idempotency-key'] ?? '');
  const user = (req: Request) => String(req.headers['x-user'] ?? '');
  const delay = (req: Request) => String(req.headers['x-bench-delay'] ?? '0');
  const work = async ({ key, user, delay }: Work): Promise<Charged> => {
    await redis.incr(runsKey(guard, key));
    if (delay === 'hang') await new Promise(() => {});
    else await sleep(Number(delay));
    return { id: `pay_${randomUUID()}`, user };
  };
  const charge = (req: Request) => work({ key: rawKey(req), user: user(req), delay: delay(req) });

  const app = express();
  app.use(express.json());
  if (guard === 'library') {
    // The core API takes the caller's scope on every call; here the user, as the adapters' `scope` option does.
    const engine = createIdempotencyEngine({
      store: createRedisStore({ redis, prefix: 'bench:guarantees:library:' }),
      lease: leaseMs,
    });
    app.post('/payments', async (req, res) => {
      try {
        const key = engine.resolveKey({ header: req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()] });
        const { value } = await engine.execute({
          scope: user(req),
          operation: operationName,
          key,
          input: req.body as unknown,
          run: () => charge(req),
        });
        res.json(value);
      } catch (error) {
        if (!isIdempotencyError(error)) throw error;
        res.status(error.status).set(errorHeaders(error)).json({ code: error.code });
      }
    });
  } else if (guard === 'express-idempotency') {
    app.post(
      '/payments',
      expressIdempotency({
        dataAdapter: expressIdempotencyRedisAdapter(redis, 86_400, 'bench:guarantees:express-idempotency:'),
      }),
      async (req, res) => {
        if (getSharedIdempotencyService().isHit(req)) return;
        res.json(await charge(req));
      },
    );
  } else if (guard === 'node-idempotency') {
    app.post(
      '/payments',
      await nodeIdempotencyRoute(redisUrl, charge, { cacheKeyPrefix: 'bench:guarantees:node-idempotency' }),
    );
  } else {
    // Keyed as in the throughput benchmark (`eventKeyJmesPath: 'key'`); its in-progress expiry is
    // the remaining time of a fake Lambda context, set to the same lease as this library's.
    const handler = powertoolsIdempotent<Work, Charged>(redis, (event) => work(event.input), leaseMs);
    app.post('/payments', async (req, res) => {
      try {
        res.json(
          await handler({ key: rawKey(req), input: { key: rawKey(req), user: user(req), delay: delay(req) }, n: 0 }),
        );
      } catch (error) {
        res
          .status((error as Error).name === 'IdempotencyAlreadyInProgressError' ? 409 : 500)
          .json({ code: (error as Error).name });
      }
    });
  }
  // express-idempotency answers a conflict with `next(error)` after setting the status.
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(res.statusCode >= 400 ? res.statusCode : 500).json({ code: error.message });
  });
  return app;
}
