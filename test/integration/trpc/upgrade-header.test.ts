/**
 * The Idempotency-Key next to WebSocket handshake headers: a plain POST carrying `Upgrade` keeps its
 * key; over WebSocket the handshake's key header is never a call's key, whatever the context
 * exposes of the handshake.
 */
import { request as httpRequest } from 'node:http';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createWsTestClient } from '../../support/servers/trpc/client.js';
import { createTestRouter, type TestRouter } from '../../support/servers/trpc/router.js';
import { startStandaloneServer, startWebSocketServer } from '../../support/servers/trpc/servers.js';

const redis = connectRedis();
const newApp = () => createTestRouter({ store: createRedisStore({ redis, prefix: uniquePrefix('trpc-upgrade') }) });

/** POSTs `pay` with node:http (fetch refuses to send `Upgrade`); resolves with the status and the replayed header. */
function postWithHeaders(url: string, headers: Record<string, string>) {
  const body = JSON.stringify(superjson.serialize({ amount: 5 }));
  return new Promise<[number | undefined, string | undefined]>((resolve, reject) => {
    const request = httpRequest(`${url}/pay`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'x-user': 'alice',
        ...headers,
      },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () =>
        resolve([response.statusCode, response.headers['idempotent-replayed'] as string | undefined]),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('idempotency() on an HTTP call that carries WebSocket handshake headers', () => {
  it.each([
    ['Upgrade: websocket', { upgrade: 'websocket' }],
    ['Upgrade: websocket and Connection: upgrade', { upgrade: 'websocket', connection: 'Upgrade' }],
  ])(
    'keeps the Idempotency-Key of a plain POST with %s: a retry is replayed, not run again',
    async (_name, handshake) => {
      const app = newApp();
      const server = await startStandaloneServer(app.router);
      const headers = { 'idempotency-key': '"upgrade-1"', ...handshake };

      const answers = [await postWithHeaders(server.url, headers), await postWithHeaders(server.url, headers)];

      expect(answers).toEqual([
        [200, undefined],
        [200, 'true'],
      ]);
      expect(app.probe.runs('pay')).toBe(1);
    },
  );
});

const user = (info: CreateWSSContextFnOptions['info']) => info.connectionParams?.user;

describe('idempotency() over WebSocket, whatever the context exposes of the handshake', () => {
  it.each([
    [
      'the socket as res',
      ({ req, res, info }: CreateWSSContextFnOptions) => ({ headers: req.headers, res, user: user(info) }),
    ],
    ['info', ({ req, info }: CreateWSSContextFnOptions) => ({ headers: req.headers, info, user: user(info) })],
    ['the upgrade request as req', ({ req, info }: CreateWSSContextFnOptions) => ({ req, user: user(info) })],
  ])("never takes the handshake header as a call's key (context with %s)", async (_name, createContext) => {
    const app = newApp();
    const { url } = await startWebSocketServer(app.router, { createContext });
    const client = createWsTestClient<TestRouter>({
      url,
      connectionParams: { user: 'alice' },
      handshakeHeaders: { 'Idempotency-Key': '"connection-wide"' },
    });

    const outputs = [await client.pay.mutate({ amount: 1 }), await client.pay.mutate({ amount: 2 })];

    expect(outputs.map((output) => output.amount)).toEqual([1, 2]);
    expect(app.probe.runs('pay')).toBe(2);
  });
});
