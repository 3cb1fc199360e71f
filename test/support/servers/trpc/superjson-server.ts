/**
 * Helpers of the hostile review (adversarial review B): a tRPC standalone server whose context exposes
 * `req`, `res` and the caller from `x-user`, and a run counter per procedure.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { AnyTRPCRouter } from '@trpc/server';
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import superjson from 'superjson';
import { afterAll } from 'vitest';
import { createRedisStore } from '../../../../src/stores/redis.js';
import { idempotencyErrorData, type IdempotencyMeta } from '../../../../src/trpc/index.js';
import { connectRedis, uniquePrefix } from '../../redis/client.js';

/** The context `serve` gives every call. */
export interface Ctx {
  user: string | undefined;
  req?: unknown;
  res?: unknown;
}

/** tRPC with superjson and the idempotency error data in every error shape. */
export function makeT() {
  return initTRPC
    .context<Ctx>()
    .meta<IdempotencyMeta>()
    .create({
      transformer: superjson,
      errorFormatter: ({ shape, error }) => ({
        ...shape,
        data: { ...shape.data, idempotency: idempotencyErrorData(error) },
      }),
    });
}

/** A Redis store on the shared test redis-server, under a prefix of its own. */
export const redisStore = (label: string) => createRedisStore({ redis: connectRedis(), prefix: uniquePrefix(label) });

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise((done) => {
          server.closeAllConnections?.();
          server.close(done);
        }),
    ),
  );
});

/** The standalone adapter on a free port. `createContext` gives `{ req, res, user }` (`user` from `x-user`). */
export async function serve(router: AnyTRPCRouter): Promise<string> {
  const server = createHTTPServer({
    router,
    createContext: ({ req, res }) => {
      const user = req.headers['x-user'];
      return { req, res, user: typeof user === 'string' ? user : undefined };
    },
  }) as unknown as Server;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Counts runs per name. */
export function counter() {
  const runs = new Map<string, number>();
  return {
    ran(name: string): number {
      const n = (runs.get(name) ?? 0) + 1;
      runs.set(name, n);
      return n;
    },
    runs: (name: string) => runs.get(name) ?? 0,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
