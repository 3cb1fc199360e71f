/**
 * The one tRPC harness of the tests: each adapter (standalone, fetch, Express, WebSocket) on a free
 * loopback port, its context `{ req, res, user }` (`user` from `x-user`) unless a test gives its own,
 * closed after the file's tests. `standaloneHandler` is the standalone adapter's handler for a server
 * that also serves something else (the multi-process charge app); child processes import this file too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyTRPCRouter } from '@trpc/server';
import { createHTTPHandler, type CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { applyWSSHandler, type CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import express from 'express';
import { afterAll } from 'vitest';
import { WebSocketServer } from 'ws';

export { redisStore } from '../../redis/client.js';

const USER_HEADER = 'x-user';

export interface TestServer {
  url: string;
  /** Drops the responses of the next `count` calls of `path`: the procedure runs, then the socket is destroyed. */
  dropResponses(path: string, count: number): void;
  /** Closes the server now (it is closed after the file's tests anyway). */
  close(): Promise<void>;
}

const servers: Server[] = [];
const socketServers: WebSocketServer[] = [];
try {
  afterAll(async () => {
    await Promise.all(socketServers.splice(0).map(closeSockets));
    await Promise.all(servers.splice(0).map(closeServer));
  });
} catch {
  // Outside a vitest worker (a child process serving an app): its owner closes what it starts.
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

function closeSockets(wss: WebSocketServer): Promise<void> {
  for (const socket of wss.clients) socket.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

/** Closes `server` now, and not again after the file's tests. */
async function forget(server: Server): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await closeServer(server);
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.closeIdleConnections?.();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A standalone adapter context: what the test's server exposes to its procedures. */
export type CreateContext = (opts: CreateHTTPContextOptions) => object;

/** The `x-user` header of a Node request, as a context's caller. */
export const userOf = ({ req }: Pick<CreateHTTPContextOptions, 'req'>) => headerValue(req, USER_HEADER);

/** The context of the standalone adapter unless a test gives its own: `req`, `res` and the `x-user` caller. */
const standaloneContext: CreateContext = (opts) => ({ req: opts.req, res: opts.res, user: userOf(opts) });

export interface StandaloneOptions {
  /** Defaults to `{ req, res, user }` (`user` from the `x-user` header). */
  createContext?: CreateContext;
  /** Where the procedures are served (`/trpc/`). Defaults to the root. */
  basePath?: string;
}

/** The standalone adapter's request handler (`createHTTPHandler`), for a node:http server of the caller's. */
export function standaloneHandler(router: AnyTRPCRouter, options: StandaloneOptions = {}) {
  return createHTTPHandler({
    router,
    createContext: options.createContext ?? standaloneContext,
    ...(options.basePath ? { basePath: options.basePath } : {}),
  });
}

/** The standalone adapter on a free port. */
export async function startStandaloneServer(
  router: AnyTRPCRouter,
  options: Pick<StandaloneOptions, 'createContext'> = {},
): Promise<TestServer> {
  const server = createServer(standaloneHandler(router, options));
  const drops = new Map<string, number>();
  // Runs before tRPC's handler: for a dropped call, the response never leaves; the socket is destroyed instead.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.slice(1);
    const left = drops.get(path) ?? 0;
    if (left === 0) return;
    drops.set(path, left - 1);
    const destroy = () => {
      res.socket?.destroy();
      return true;
    };
    res.write = destroy as unknown as ServerResponse['write'];
    res.end = destroy as unknown as ServerResponse['end'];
  });
  const url = await listen(server);
  return {
    url,
    dropResponses: (path, count) => drops.set(path, count),
    close: () => forget(server),
  };
}

/** The standalone adapter on a free port, returning only its URL. */
export async function serve(router: AnyTRPCRouter, createContext?: CreateContext): Promise<string> {
  return (await startStandaloneServer(router, { createContext })).url;
}

/** The fetch adapter (`fetchRequestHandler`) behind a Node server; the context exposes `req` and `resHeaders`. */
export async function startFetchServer(router: AnyTRPCRouter): Promise<{ url: string }> {
  const server = createServer((req, res) => {
    void toRequest(req)
      .then((request) =>
        fetchRequestHandler({
          endpoint: '',
          req: request,
          router,
          createContext: ({ req: fetchReq, resHeaders }) => ({
            req: fetchReq,
            resHeaders,
            user: fetchReq.headers.get(USER_HEADER) ?? undefined,
          }),
        }),
      )
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      });
  });
  return { url: await listen(server) };
}

/** The Express adapter (`createExpressMiddleware`) at `/trpc`; the context exposes `req` and `res`. */
export async function startExpressServer(router: AnyTRPCRouter): Promise<{ url: string }> {
  const app = express();
  app.use(
    '/trpc',
    createExpressMiddleware({ router, createContext: ({ req, res }) => ({ req, res, user: req.get(USER_HEADER) }) }),
  );
  return { url: `${await listen(createServer(app))}/trpc` };
}

/** A WebSocket server of the harness: its URL, a server-side drop of every connection, and `close`. */
export interface WebSocketTestServer {
  url: string;
  /** Terminates every open connection, as a server-side drop would. */
  dropConnections(): void;
  /** Closes the server now (it is closed after the file's tests anyway). */
  close(): Promise<void>;
}

/**
 * The WebSocket adapter (`applyWSSHandler` on a `ws` server) at a `ws://` URL. The context, unless
 * a test gives its own, exposes the upgrade request as `req` (as a `createContext` shared with the
 * HTTP adapters would), the connection params, and the user named by the `user` connection param.
 */
export async function startWebSocketServer(
  router: AnyTRPCRouter,
  options: { createContext?: (opts: CreateWSSContextFnOptions) => object } = {},
): Promise<WebSocketTestServer> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  socketServers.push(wss);
  applyWSSHandler({
    wss,
    router,
    createContext:
      options.createContext ??
      (({ req, info }) => ({
        req,
        connectionParams: info.connectionParams,
        user: info.connectionParams?.user,
      })),
  });
  const url = (await listen(server)).replace(/^http/, 'ws');
  return {
    url,
    dropConnections: () => wss.clients.forEach((socket) => socket.terminate()),
    close: async () => {
      socketServers.splice(socketServers.indexOf(wss), 1);
      await closeSockets(wss);
      await forget(server);
    },
  };
}

async function toRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const item of Array.isArray(value) ? value : [value ?? '']) headers.append(name, item);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(`http://127.0.0.1${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? Buffer.concat(chunks) : undefined,
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
