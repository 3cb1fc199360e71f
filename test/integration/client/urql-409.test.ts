/**
 * idempotencyExchange (urql) rides out a 409: the shared scenarios of support/rides-out-409.ts, and
 * a teardown of the operation that ends the wait. The documented set-up: the exchange before
 * retryExchange (which does not retry GraphQL errors). Origin: issue #18 ("Clients that give up on 409").
 */
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
import { startHeldMutationServer } from './support/held-mutation.js';
import { CREATE_PAYMENT } from './support/lossy-graphql.js';
import { describeRidesOut409, type ClientDriver, type Created, type Mutated } from './support/rides-out-409.js';

const CREATE = gql(CREATE_PAYMENT);
const ALICE = { headers: { 'x-user': 'alice' } };

function codeOf(result: OperationResult): unknown {
  return result.error?.graphQLErrors[0]?.extensions.code;
}

/** An exchange below idempotencyExchange that calls `onRefusal` once it has passed a 409 up. */
const refusalExchange =
  (onRefusal: () => void): Exchange =>
  ({ forward }) =>
  (operations$) =>
    pipe(
      forward(operations$),
      onPush((result) => void (codeOf(result) === 'IDEMPOTENCY_CONCURRENT_REQUEST' && onRefusal())),
    );

function urql(url: string, options: UrqlIdempotencyExchangeOptions = {}, onRefusal?: () => void) {
  return new Client({
    url,
    exchanges: [
      cacheExchange,
      idempotencyExchange(options),
      ...(onRefusal ? [refusalExchange(onRefusal)] : []),
      retryExchange({}),
      fetchExchange,
    ],
    fetchOptions: ALICE,
    preferGetMethod: false,
  });
}

/** What a result says, in the scenarios' terms. */
function outcome(result: OperationResult<Created>): Mutated {
  if (result.error?.networkError) return { aborted: result.error.networkError.message };
  if (result.error) {
    expect((result.error.response as Response).status).toBe(409);
    return { code: codeOf(result) };
  }
  return { data: result.data, extensions: result.extensions };
}

const urqlClient: ClientDriver = {
  // An abort of a request in flight ends urql's operation without a result: the first attempt is awaited.
  firstAttempts: ['still awaited'],
  create(url, options, onRefusal) {
    const client = urql(url, options, onRefusal);
    return {
      mutate: async (amount, { key, signal } = {}) =>
        outcome(
          await client
            .mutation<Created>(
              CREATE,
              { amount },
              { ...(key ? { idempotencyKey: key } : {}), ...(signal ? { fetchOptions: { ...ALICE, signal } } : {}) },
            )
            .toPromise(),
        ),
    };
  },
};

describeRidesOut409('idempotencyExchange rides out a 409', urqlClient);

describe('idempotencyExchange and a teardown', () => {
  it('a teardown of the operation ends the wait at once and sends nothing more', async () => {
    const server = await startHeldMutationServer(60);
    const first = urql(server.url).mutation<Created>(CREATE, { amount: 4 }, { idempotencyKey: 'cart-10' }).toPromise();
    await server.bodyStarted();
    let refused!: () => void;
    const refusal = new Promise<void>((resolve) => (refused = resolve));
    const client = urql(server.url, { retryConcurrent: { maxDelay: 60_000, maxTotalWait: 120_000 } }, refused);
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
    await refusal;
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
});
