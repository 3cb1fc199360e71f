import { createServer, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createIdempotentFetch, type FetchLike, type IdempotentFetchOptions } from '../../../src/client/index.js';
import type { IdempotencyEvent } from '../../../src/core/events.js';
import { listen, post, replayOf, startTestServer, type TestServerOptions } from '../../support/servers/yoga.js';

const CREATE = {
  query: 'mutation Create($amount: Int!) { createPayment(amount: $amount) { id amount key } }',
  variables: { amount: 9 },
};
const UUID_KEY = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;
const fast: IdempotentFetchOptions = { baseDelay: 5, maxDelay: 20 };

/** A GraphQL server on the Redis store; records the Idempotency-Key header of every request. */
async function startGraphQL(options: TestServerOptions & { onEvent?: (event: IdempotencyEvent) => void } = {}) {
  const keysSeen: (string | undefined)[] = [];
  const server = await startTestServer({
    ...options,
    label: 'client',
    idempotency: { onEvent: options.onEvent },
    wrap: (handler) => {
      const inner = options.wrap ? options.wrap(handler) : handler;
      return (req, res) => {
        keysSeen.push(req.headers['idempotency-key'] as string | undefined);
        inner(req, res);
      };
    },
  });
  return { ...server, keysSeen };
}

/** A plain HTTP server that always answers `status`; records the request headers. */
async function startStatusServer(status: number) {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' }).end('{"errors":[{"message":"unavailable"}]}');
  });
  return { url: `http://127.0.0.1:${await listen(server)}/graphql`, requests };
}

/** What graphql-request, urql and Apollo Client do with the `fetch` they are given. */
function request(fetchFn: FetchLike, url: string, body: object, headers: Record<string, string> = {}) {
  return fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user': 'alice', ...headers },
    body: JSON.stringify(body),
  });
}

describe('createIdempotentFetch end to end', () => {
  it('retries a mutation whose response was lost with the same key; the resolver runs once', async () => {
    let dropped = false;
    const server = await startGraphQL({
      wrap: (handler) => (req, res) => {
        if (!dropped && req.headers['idempotency-key']) {
          dropped = true;
          // Lose the response: the mutation runs, but the connection dies when the answer is written.
          req.socket.write = (() => req.socket.destroy()) as never;
        }
        handler(req, res);
      },
    });
    const response = await request(createIdempotentFetch(fast), server.url, CREATE);

    expect(dropped).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get('idempotent-replayed')).toBe('true');
    const body = (await response.json()) as { data: { createPayment: { key: string } } };
    expect(server.runs.createPayment).toBe(1);
    expect(server.keysSeen).toHaveLength(2);
    expect(server.keysSeen[0]).toMatch(UUID_KEY);
    expect(server.keysSeen[1]).toBe(server.keysSeen[0]);
    expect(`"${body.data.createPayment.key}"`).toBe(server.keysSeen[0]);
  });

  it('retries a 409 until the first attempt finished and gets its replay', async () => {
    let entered!: () => void;
    let release!: () => void;
    const resolverEntered = new Promise<void>((resolve) => (entered = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const conflicts: string[] = [];
    const server = await startGraphQL({
      beforeResolve: async () => {
        entered();
        await gate;
      },
      onEvent: (event) => {
        if (event.type !== 'conflict') return;
        conflicts.push(event.operation);
        release();
      },
    });
    const first = post(server.url, CREATE, { 'x-user': 'alice', 'idempotency-key': '"busy-key"' });
    await resolverEntered;
    const retried = await request(
      createIdempotentFetch({ ...fast, retries: 50, generateKey: () => 'busy-key' }),
      server.url,
      CREATE,
    );

    const original = await first;
    expect(server.runs.createPayment).toBe(1);
    expect(conflicts.length).toBeGreaterThanOrEqual(1);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await retried.text()).toBe(replayOf(original.text));
    expect(new Set(server.keysSeen.slice(1))).toEqual(new Set(['"busy-key"']));
  });

  it('gives up after `retries` retries and returns the last response', async () => {
    const upstream = await startStatusServer(503);
    const response = await request(createIdempotentFetch({ ...fast, retries: 2 }), upstream.url, CREATE);

    expect(response.status).toBe(503);
    expect(upstream.requests).toHaveLength(3);
    const keys = upstream.requests.map((headers) => headers['idempotency-key']);
    expect(keys[0]).toMatch(UUID_KEY);
    expect(new Set(keys).size).toBe(1);
  });

  it('does not retry a client error such as 422', async () => {
    const upstream = await startStatusServer(422);
    const response = await request(createIdempotentFetch(fast), upstream.url, CREATE);
    expect(response.status).toBe(422);
    expect(upstream.requests).toHaveLength(1);
  });

  it('passes queries through once, unkeyed and unretried', async () => {
    const server = await startGraphQL();
    const upstream = await startStatusServer(503);
    const idempotentFetch = createIdempotentFetch(fast);

    const query = await request(idempotentFetch, server.url, { query: '{ ping }' });
    const failing = await request(idempotentFetch, upstream.url, { query: 'query { ping }' });

    expect(await query.json()).toEqual({ data: { ping: 'pong' } });
    expect(server.keysSeen).toEqual([undefined]);
    expect(failing.status).toBe(503);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.['idempotency-key']).toBeUndefined();
  });

  it('keeps a key the caller set, on every attempt', async () => {
    const upstream = await startStatusServer(500);
    await request(createIdempotentFetch(fast), upstream.url, CREATE, { 'Idempotency-Key': '"mine"' });
    expect(upstream.requests.map((headers) => headers['idempotency-key'])).toEqual([
      '"mine"',
      '"mine"',
      '"mine"',
      '"mine"',
    ]);
  });

  it('stops retrying once the caller aborts and returns the last response', async () => {
    const upstream = await startStatusServer(503);
    const controller = new AbortController();
    const abortAfterFirst: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      controller.abort();
      return response;
    };
    const response = await createIdempotentFetch(abortAfterFirst, { retries: 5 })(upstream.url, {
      method: 'POST',
      body: JSON.stringify(CREATE),
      signal: controller.signal,
    });
    expect(response.status).toBe(503);
    expect(upstream.requests).toHaveLength(1);
  });
});
