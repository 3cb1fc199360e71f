// Issue #18 ("Clients that give up on 409"): the documented urql set-up surfaced
// IDEMPOTENCY_CONCURRENT_REQUEST when a retry arrived while the first attempt still ran.
import {
  cacheExchange,
  Client,
  createRequest,
  fetchExchange,
  gql,
  makeOperation,
  type Exchange,
  type OperationResult,
} from '@urql/core';
import { retryExchange } from '@urql/exchange-retry';
import { describe, expect, it } from 'vitest';
import { onEnd, onPush, pipe, subscribe } from 'wonka';
import { idempotencyExchange, type UrqlIdempotencyExchangeOptions } from '../../../src/urql/index.js';
import { CREATE_PAYMENT, startHeldMutationServer } from './held-mutation-server.js';

const CREATE = gql(CREATE_PAYMENT);
const UUID = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;
const ALICE = { headers: { 'x-user': 'alice' } };
type Created = { createPayment: { id: string; amount: number; key: string } };

/** The documented set-up: the exchange before retryExchange (which does not retry GraphQL errors). */
function urql(url: string, options: UrqlIdempotencyExchangeOptions = {}, below: Exchange[] = []) {
  return new Client({
    url,
    exchanges: [cacheExchange, idempotencyExchange(options), ...below, retryExchange({}), fetchExchange],
    fetchOptions: ALICE,
    preferGetMethod: false,
  });
}

/**
 * An exchange below idempotencyExchange and a promise that resolves once it has passed a 409 up: by
 * then idempotencyExchange has received it (in the same synchronous push) and is waiting.
 */
function refusalSeen(): { exchange: Exchange; seen: Promise<void> } {
  let seen!: () => void;
  const promise = new Promise<void>((resolve) => (seen = resolve));
  const exchange: Exchange =
    ({ forward }) =>
    (operations$) =>
      pipe(
        forward(operations$),
        onPush((result) => void (codeOf(result) === 'IDEMPOTENCY_CONCURRENT_REQUEST' && seen())),
      );
  return { exchange, seen: promise };
}

function codeOf(result: OperationResult): unknown {
  return result.error?.graphQLErrors[0]?.extensions.code;
}

describe('idempotencyExchange rides out a 409', () => {
  it('a retry of the same mutation after the app gave up waiting (same key) waits, receives the first attempt’s result, and the body runs once', async () => {
    const server = await startHeldMutationServer();
    const client = urql(server.url);

    const first = client.mutation<Created>(CREATE, { amount: 5 }, { idempotencyKey: 'checkout-1' }).toPromise();
    await server.bodyStarted();
    const retry = client.mutation<Created>(CREATE, { amount: 5 }, { idempotencyKey: 'checkout-1' }).toPromise();
    await server.answered('"checkout-1"', 409);
    server.release();
    const [original, replayed] = await Promise.all([first, retry]);

    expect(replayed.error).toBeUndefined();
    expect(replayed.data).toEqual(original.data);
    expect(replayed.data?.createPayment).toEqual({
      __typename: 'Payment',
      id: 'createPayment-1',
      amount: 5,
      key: 'checkout-1',
    });
    expect(replayed.extensions).toEqual({ idempotency: { replayed: true } });
    expect(server.runs.createPayment).toBe(1);
    const statuses = server.requests.slice(1).map((seen) => seen.status);
    expect(statuses.slice(0, -1).every((status) => status === 409)).toBe(true);
    expect(statuses.at(-1)).toBe(200);
    expect(server.requests.map((seen) => seen.key)).toEqual(server.requests.map(() => '"checkout-1"'));

    // A new logical mutation (same document and variables, so the same urql operation key) gets a new key, and runs.
    const next = await client.mutation<Created>(CREATE, { amount: 5 }).toPromise();
    expect(server.requests.at(-1)?.key).toMatch(UUID);
    expect(next.data?.createPayment.id).toBe('createPayment-2');
    expect(server.runs.createPayment).toBe(2);
  });

  it('mints the key once per logical mutation: every re-send after a 409 carries it, and the bound hands the last 409 over', async () => {
    const server = await startHeldMutationServer();
    let minted = 0;
    const client = urql(server.url, { generateKey: () => (minted++, 'order-7'), retryConcurrent: { retries: 2 } });

    const first = urql(server.url).mutation<Created>(CREATE, { amount: 3 }, { idempotencyKey: 'order-7' }).toPromise();
    await server.bodyStarted();
    const refused = await client.mutation<Created>(CREATE, { amount: 3 }).toPromise();

    expect(codeOf(refused)).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    expect((refused.error?.response as Response).status).toBe(409);
    expect(minted).toBe(1);
    expect(server.requests.map((seen) => [seen.key, seen.status])).toEqual([
      ['"order-7"', undefined], // the first attempt, still held
      ['"order-7"', 409],
      ['"order-7"', 409], // re-send 1
      ['"order-7"', 409], // re-send 2: the bound
    ]);
    server.release();
    expect((await first).data?.createPayment.key).toBe('order-7');
    expect(server.runs.createPayment).toBe(1);
  });

  it('an abort of the signal in the operation’s fetchOptions ends the wait at once, as a network error, and sends nothing more', async () => {
    const server = await startHeldMutationServer(60); // Retry-After: 60 s, longer than the test's timeout
    const refusal = refusalSeen();
    const client = urql(server.url, { retryConcurrent: { maxDelay: 60_000, maxTotalWait: 120_000 } }, [
      refusal.exchange,
    ]);
    const first = client.mutation<Created>(CREATE, { amount: 4 }, { idempotencyKey: 'cart-9' }).toPromise();
    await server.bodyStarted();
    const leave = new AbortController();

    const retry = client
      .mutation<Created>(
        CREATE,
        { amount: 4 },
        { idempotencyKey: 'cart-9', fetchOptions: { ...ALICE, signal: leave.signal } },
      )
      .toPromise();
    await refusal.seen; // the exchange now waits out the 409's Retry-After
    leave.abort(new Error('user left the page'));

    expect((await retry).error?.networkError?.message).toBe('user left the page');
    server.release();
    await first;
    expect(server.requests.map((seen) => [seen.key, seen.status])).toEqual([
      ['"cart-9"', 200],
      ['"cart-9"', 409],
    ]);
    expect(server.runs.createPayment).toBe(1);
  });

  it('a teardown of the operation ends the wait at once and sends nothing more', async () => {
    const server = await startHeldMutationServer(60);
    const first = urql(server.url).mutation<Created>(CREATE, { amount: 4 }, { idempotencyKey: 'cart-10' }).toPromise();
    await server.bodyStarted();
    const refusal = refusalSeen();
    const client = urql(server.url, { retryConcurrent: { maxDelay: 60_000, maxTotalWait: 120_000 } }, [
      refusal.exchange,
    ]);
    const operation = client.createRequestOperation('mutation', createRequest(CREATE, { amount: 4 }), {
      idempotencyKey: 'cart-10',
    });
    const results: OperationResult[] = [];
    const ended = new Promise<void>((resolve) =>
      pipe(
        client.executeRequestOperation(operation),
        onEnd(resolve),
        subscribe((result) => results.push(result)),
      ),
    );
    await refusal.seen;
    client.reexecuteOperation(makeOperation('teardown', operation));

    await ended;
    expect(results).toEqual([]);
    server.release();
    await first;
    expect(server.requests.map((seen) => [seen.key, seen.status])).toEqual([
      ['"cart-10"', 200],
      ['"cart-10"', 409],
    ]);
  });

  it('retryConcurrent: false, or a Retry-After beyond maxTotalWait, hands the first 409 over at once', async () => {
    const server = await startHeldMutationServer();
    const first = urql(server.url).mutation<Created>(CREATE, { amount: 2 }, { idempotencyKey: 'k-1' }).toPromise();
    await server.bodyStarted();

    for (const retryConcurrent of [false, { maxTotalWait: 500 }] as const) {
      const refused = await urql(server.url, { retryConcurrent })
        .mutation<Created>(CREATE, { amount: 2 }, { idempotencyKey: 'k-1' })
        .toPromise();
      expect(codeOf(refused)).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    }
    expect(server.requests.map((seen) => seen.status)).toEqual([undefined, 409, 409]);
    server.release();
    await first;
  });
});
