/**
 * What every GraphQL server adapter promises over HTTP with the Redis store, the same tests on each
 * through its harness and the shared payments schema (support/servers/payments.ts): Yoga
 * (useIdempotency, in-process), Apollo Server standalone and under Express 5 (idempotencyPlugin).
 * What only one server has (Yoga's other keys and policies, Apollo's formatError and directive) stays
 * in envelop/plugin.test.ts and apollo-server/plugin.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import * as apollo from '../../support/servers/apollo-server.js';
import { as, codes, post, type HttpTarget } from '../../support/servers/graphql-requests.js';
import * as yoga from '../../support/servers/yoga.js';

const CREATE = 'mutation Create($amount: Int!) { createPayment(amount: $amount) { id amount key fence } }';
const redis = connectRedis();

/** A payments server as the tests see it, whichever adapter serves it. */
interface Served {
  target: string | HttpTarget;
  /** How often each resolver ran, by field name. */
  runs: Record<string, number>;
  /** The store's records. */
  records(): Promise<string[]>;
  /** The body text of `json` as the server sends it. */
  textOf(json: unknown): string;
  /** The body a replay of `firstText` must have. */
  replayOf(firstText: string): string;
}

type Start = (options?: { beforeResolve?: () => Promise<void> }) => Promise<Served>;

/** A store of the run's Redis under a prefix of its own, and what it holds. */
function store() {
  const prefix = uniquePrefix('graphql-plugin');
  return { store: createRedisStore({ redis, prefix }), records: () => redis.keys(`${prefix}*`) };
}

const startYoga: Start = async (options = {}) => {
  const { store: idempotencyStore, records } = store();
  const server = await yoga.startTestServer({
    ...options,
    transport: 'fetch',
    idempotency: { store: idempotencyStore },
  });
  return { target: server, runs: server.runs, records, textOf: JSON.stringify, replayOf: yoga.replayOf };
};

const startApollo =
  (integration: apollo.Integration): Start =>
  async (options = {}) => {
    const { store: idempotencyStore, records } = store();
    const server = await apollo.startTestServer(integration, { ...options, idempotency: { store: idempotencyStore } });
    return {
      target: server.url,
      runs: server.runs,
      records,
      textOf: (json) => `${JSON.stringify(json)}\n`,
      replayOf: apollo.replayOf,
    };
  };

/** Each server, and how many identical requests its burst test sends at once. */
const SERVERS: [string, Start, number][] = [
  ['Yoga', startYoga, 50],
  // Apollo Server 5 supports graphql 16 only: its plugin refuses to start on graphql 17.
  ...(graphqlMajor === 16
    ? ([
        ['Apollo Server standalone', startApollo('standalone'), 20],
        ['Apollo Server under Express 5', startApollo('express'), 20],
      ] as [string, Start, number][])
    : []),
];

describe.each(SERVERS)('%s with the Redis store', (_, start, burst) => {
  it('runs a keyed mutation once and replays the identical JSON, marked replayed', async () => {
    const server = await start();
    const first = await post(server.target, { query: CREATE, variables: { amount: 5 } }, as('alice', '"pay-1"'));
    const second = await post(server.target, { query: CREATE, variables: { amount: 5 } }, as('alice', '"pay-1"'));

    expect(server.runs.createPayment).toBe(1);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(first.json).toEqual({
      data: { createPayment: { id: 'createPayment-1', amount: 5, key: 'pay-1', fence: 1 } },
    });
    expect(first.text).toBe(server.textOf(first.json));
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.json.extensions?.idempotency).toEqual({ replayed: true });
    expect(second.text).toBe(server.replayOf(first.text));
    expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
  });

  it(`answers ${burst - 1} of ${burst} concurrent identical requests with 409, Retry-After and IDEMPOTENCY_CONCURRENT_REQUEST while the first runs`, async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start({ beforeResolve: () => gate });
    let conflicts = 0;
    const responses = await Promise.all(
      Array.from({ length: burst }, () =>
        post(server.target, { query: CREATE, variables: { amount: 7 } }, as('alice', '"burst"')).then((response) => {
          if (response.status === 409 && ++conflicts === burst - 1) release();
          return response;
        }),
      ),
    );

    expect(server.runs.createPayment).toBe(1);
    const [winner, ...others] = [...responses].sort((a, b) => a.status - b.status);
    expect(winner?.status).toBe(200);
    expect(winner?.json.data).toEqual({ createPayment: { id: 'createPayment-1', amount: 7, key: 'burst', fence: 1 } });
    expect(others).toHaveLength(burst - 1);
    for (const response of others) {
      expect(response.status).toBe(409);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.json.data).toBeUndefined();
      expect(codes(response.json)).toEqual(['IDEMPOTENCY_CONCURRENT_REQUEST']);
    }
    const later = await post(server.target, { query: CREATE, variables: { amount: 7 } }, as('alice', '"burst"'));
    expect(later.text).toBe(server.replayOf(winner?.text ?? ''));
  });

  it('answers the same key with other variables or another selection with 422, running nothing', async () => {
    const server = await start();
    await post(server.target, { query: CREATE, variables: { amount: 5 } }, as('alice', '"pay-2"'));
    const otherVariables = await post(
      server.target,
      { query: CREATE, variables: { amount: 6 } },
      as('alice', '"pay-2"'),
    );
    const otherSelection = await post(
      server.target,
      { query: 'mutation Create($amount: Int!) { createPayment(amount: $amount) { id } }', variables: { amount: 5 } },
      as('alice', '"pay-2"'),
    );

    expect(server.runs.createPayment).toBe(1);
    for (const response of [otherVariables, otherSelection]) {
      expect(response.status).toBe(422);
      expect(response.json.data).toBeUndefined();
      expect(codes(response.json)).toEqual(['IDEMPOTENCY_KEY_PARAMETER_MISMATCH']);
    }
  });

  it.each([
    ['sent twice (joined by the server)', '"a", "b"'],
    ['too long', `"${'k'.repeat(256)}"`],
    ['empty', '""'],
    ['not an sf-string', '"unterminated'],
  ])('rejects a malformed key (%s) with 400 IDEMPOTENCY_KEY_INVALID before anything runs', async (_, key) => {
    const server = await start();
    const response = await post(server.target, { query: CREATE, variables: { amount: 1 } }, as('alice', key));
    expect(response.status).toBe(400);
    expect(codes(response.json)).toEqual(['IDEMPOTENCY_KEY_INVALID']);
    expect(server.runs.createPayment).toBeUndefined();
  });

  it('refuses a keyed request whose scope gives no identity (401 IDEMPOTENCY_SCOPE_MISSING) and runs nothing; unkeyed it runs', async () => {
    const server = await start(); // scope: the `x-user` header, none when it is missing
    const query = 'mutation { createPayment(amount: 3) { id } }';
    const anonymous = await post(server.target, { query }, as(undefined, '"who"'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.data).toBeUndefined();
    expect(codes(anonymous.json)).toEqual(['IDEMPOTENCY_SCOPE_MISSING']);
    const again = await post(server.target, { query }, as(undefined, '"who"'));
    expect(again.status).toBe(401);
    expect(server.runs.createPayment).toBeUndefined();

    await post(server.target, { query }, as(undefined));
    expect(server.runs.createPayment).toBe(1);
  });

  it('runs a mutation without a key normally and stores nothing, while a keyed one is stored', async () => {
    const server = await start();
    const first = await post(server.target, { query: CREATE, variables: { amount: 1 } }, as('alice'));
    const second = await post(server.target, { query: CREATE, variables: { amount: 1 } }, as('alice'));
    expect(server.runs.createPayment).toBe(2);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.json.data).toEqual({ createPayment: { id: 'createPayment-2', amount: 1, key: null, fence: null } });
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await server.records()).toEqual([]);

    await post(server.target, { query: CREATE, variables: { amount: 1 } }, as('alice', '"keyed"'));
    expect(await server.records()).toHaveLength(1);
  });

  it('never stores queries and ignores a key (even a malformed one) on a query, and keeps answering keyed mutations', async () => {
    const server = await start();
    const queries = [
      await post(server.target, { query: '{ ping }' }, as('alice', '"q-1"')),
      await post(server.target, { query: '{ ping }' }, as('alice', '"q-1"')),
      await post(server.target, { query: 'query { ping }' }, as('alice', '"not", "valid"')),
    ];
    expect(server.runs.ping).toBe(3);
    for (const response of queries) {
      expect(response.status).toBe(200);
      expect(response.text).toBe(server.textOf({ data: { ping: 'pong' } }));
      expect(response.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(await server.records()).toEqual([]);

    await post(server.target, { query: CREATE, variables: { amount: 1 } }, as('alice', '"q-1"'));
    const replay = await post(server.target, { query: CREATE, variables: { amount: 1 } }, as('alice', '"q-1"'));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('stores and replays a result whose non-null child field failed after the root resolver returned (null bubbles to data: null)', async () => {
    const server = await start();
    const query = 'mutation { createPayment(amount: 7) { id receipt { number } } }';
    const first = await post(server.target, { query }, as('alice', '"nested"'));
    const retry = await post(server.target, { query }, as('alice', '"nested"'));

    expect(server.runs.createPayment).toBe(1);
    expect(first.json.data).toBeNull();
    expect(first.json.errors?.map((error) => error.path)).toEqual([['createPayment', 'receipt']]);
    expect(retry.status).toBe(first.status);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(server.replayOf(first.text));
  });

  it('replays the original HTTP status and headers of a coded error', async () => {
    const server = await start();
    const query = 'mutation { forbidden(amount: 1) { id } }';
    const first = await post(server.target, { query }, as('alice', '"forbidden"'));
    const retry = await post(server.target, { query }, as('alice', '"forbidden"'));

    expect(server.runs.forbidden).toBe(1);
    expect([first.status, retry.status]).toEqual([403, 403]);
    expect([first.headers.get('x-limit'), retry.headers.get('x-limit')]).toEqual(['10', '10']);
    expect(first.json.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(server.replayOf(first.text));
  });

  it('keeps two users with the same key apart', async () => {
    const server = await start();
    const send = (user: string) =>
      post(server.target, { query: CREATE, variables: { amount: 5 } }, as(user, '"shared"'));
    const alice = await send('alice');
    const bob = await send('bob');
    const aliceAgain = await send('alice');
    const bobAgain = await send('bob');

    expect(server.runs.createPayment).toBe(2);
    expect(alice.json.data).toEqual({ createPayment: { id: 'createPayment-1', amount: 5, key: 'shared', fence: 1 } });
    expect(bob.json.data).toEqual({ createPayment: { id: 'createPayment-2', amount: 5, key: 'shared', fence: 1 } });
    expect(bob.headers.get('idempotent-replayed')).toBeNull();
    expect(aliceAgain.text).toBe(server.replayOf(alice.text));
    expect(bobAgain.text).toBe(server.replayOf(bob.text));
  });
});
