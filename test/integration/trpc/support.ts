/**
 * Helpers of the tRPC integration tests: a standalone tRPC server with the `createContext` a test
 * gives, and an @trpc/client over `httpLink` that sends the headers a test gives.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { createHTTPServer, type CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import superjson from 'superjson';
import { afterAll } from 'vitest';

export { counter, makeT, redisStore } from '../../support/servers/trpc/servers.js';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise((done) => {
          server.closeAllConnections();
          server.close(done);
        }),
    ),
  );
});

/** The standalone adapter on a free port, with this `createContext`. */
export async function serve(
  router: AnyTRPCRouter,
  createContext: (opts: CreateHTTPContextOptions) => object,
): Promise<string> {
  const server = createHTTPServer({ router, createContext }) as unknown as Server;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A client (superjson, one HTTP request per call) that sends `headers` with every call. */
export function clientFor<TRouter extends AnyTRPCRouter>(url: string, headers: Record<string, string>) {
  // The routers here all use superjson; the link's types cannot see that through a generic router.
  const options = { url, transformer: superjson, headers } as unknown as Parameters<typeof httpLink<TRouter>>[0];
  return createTRPCClient<TRouter>({ links: [httpLink<TRouter>(options)] });
}

/** The `x-user` header of a Node request, as a context's caller. */
export const userOf = (opts: CreateHTTPContextOptions) => {
  const user = opts.req.headers['x-user'];
  return typeof user === 'string' ? user : undefined;
};

/** The error a call rejected with, as @trpc/client gives it. */
export async function rejection(call: Promise<unknown>): Promise<TRPCClientError<AnyTRPCRouter>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) return error as TRPCClientError<AnyTRPCRouter>;
    throw error;
  }
  throw new Error('The call did not fail.');
}
