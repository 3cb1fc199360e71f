import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpLink,
  retryLink,
  splitLink,
  TRPCClientError,
  wsLink,
} from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import superjson from 'superjson';
import { afterAll } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { idempotencyHeaders, idempotencyLink } from '../../../../src/client/link.js';

/** One HTTP exchange as the client saw it. */
export interface Exchange {
  path: string;
  /** The Idempotency-Key header sent, if any. */
  key: string | null;
  /** Status and headers of the answer; `undefined` when the connection failed. */
  status?: number;
  headers?: Headers;
}

export interface TestClientOptions {
  url: string;
  user?: string;
  /** Whether the router uses the superjson transformer. Defaults to `true`. */
  superjson?: boolean;
}

/**
 * The documented client setup: mutations go through idempotencyLink → retryLink → httpLink (the key
 * header per request), everything else through httpBatchLink. Retries network failures and 500s,
 * up to 3 attempts; `exchanges` records every HTTP exchange.
 */
export function createTestClient<TRouter extends AnyTRPCRouter>({
  url,
  user,
  superjson: useSuperjson = true,
}: TestClientOptions) {
  const exchanges: Exchange[] = [];
  // Must match the router's; `undefined` selects tRPC's default (plain JSON), which the link types cannot express.
  const transformer = (useSuperjson ? superjson : undefined) as typeof superjson;
  const headers = user === undefined ? {} : { 'x-user': user };
  const recordingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const exchange: Exchange = {
      path: new URL(String(input)).pathname.slice(1),
      key: new Headers(init?.headers).get('idempotency-key'),
    };
    exchanges.push(exchange);
    const response = await fetch(input, init);
    exchange.status = response.status;
    exchange.headers = response.headers;
    return response;
  };
  const client = createTRPCClient<TRouter>({
    links: [
      splitLink<AnyTRPCRouter>({
        condition: (op) => op.type === 'mutation',
        true: [
          idempotencyLink(),
          retryLink<AnyTRPCRouter>({
            retry: ({ error, attempts }) => attempts < 3 && (error.data == null || error.data.httpStatus === 500),
          }),
          httpLink<AnyTRPCRouter>({
            url,
            transformer,
            fetch: recordingFetch,
            headers: ({ op }) => ({ ...headers, ...idempotencyHeaders({ op }) }),
          }),
        ],
        false: httpBatchLink<AnyTRPCRouter>({ url, transformer, fetch: recordingFetch, headers }),
      }),
    ],
  });
  return { client, exchanges };
}

export interface WsTestClientOptions {
  url: string;
  /** Sent once per connection; the test server reads `user` from them. */
  connectionParams?: Record<string, string>;
  /** Headers of the upgrade request, which belong to the whole connection. */
  handshakeHeaders?: Record<string, string>;
}

const wsClients: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(wsClients.splice(0).map((client) => client.close()));
});

/** A client whose every operation goes over one WebSocket (`wsLink`, superjson); closed after the file's tests. */
export function createWsTestClient<TRouter extends AnyTRPCRouter>({
  url,
  connectionParams,
  handshakeHeaders,
}: WsTestClientOptions) {
  class HandshakeWebSocket extends NodeWebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: handshakeHeaders });
    }
  }
  const wsClient = createWSClient({
    url,
    connectionParams,
    WebSocket: HandshakeWebSocket as unknown as typeof WebSocket,
  });
  wsClients.push(wsClient);
  return createTRPCClient<TRouter>({ links: [wsLink<AnyTRPCRouter>({ client: wsClient, transformer: superjson })] });
}

/** A client (superjson, one HTTP request per call, no key link) that sends `headers` with every call. */
export function clientFor<TRouter extends AnyTRPCRouter>(url: string, headers: Record<string, string>) {
  // The routers here all use superjson; the link's types cannot see that through a generic router.
  const options = { url, transformer: superjson, headers } as unknown as Parameters<typeof httpLink<TRouter>>[0];
  return createTRPCClient<TRouter>({ links: [httpLink<TRouter>(options)] });
}

/** The TRPCClientError a call rejected with. */
export async function rejection(call: Promise<unknown>): Promise<TRPCClientError<AnyTRPCRouter>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
