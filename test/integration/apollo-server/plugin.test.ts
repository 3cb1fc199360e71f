import { graphqlMajor } from '../../../src/graphql/index.js';
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { freePort } from '../../support/free-port.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import {
  as,
  codes,
  integrations,
  post,
  replayOf,
  startTestServer,
  type Integration,
  type TestServer,
  type TestServerOptions,
} from '../../support/servers/apollo-server.js';

const CREATE = 'mutation Create($amount: Int!) { createPayment(amount: $amount) { id amount key fence } }';

describe.skipIf(graphqlMajor !== 16).each(integrations)(
  'idempotencyPlugin on Apollo Server (%s) with the Redis store',
  (integration: Integration) => {
    const redis = connectRedis();
    let prefix = '';

    async function start(options: TestServerOptions = {}): Promise<TestServer> {
      prefix = uniquePrefix('apollo');
      const store = createRedisStore({ redis, prefix });
      return startTestServer(integration, { ...options, idempotency: { store, ...options.idempotency } });
    }
    const records = () => redis.keys(`${prefix}*`);

    it('runs a keyed mutation once and replays the identical JSON, marked replayed', async () => {
      const server = await start();
      const first = await post(server.url, { query: CREATE, variables: { amount: 5 } }, as('alice', '"pay-1"'));
      const second = await post(server.url, { query: CREATE, variables: { amount: 5 } }, as('alice', '"pay-1"'));

      expect(server.runs.createPayment).toBe(1);
      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(first.json).toEqual({
        data: { createPayment: { id: 'createPayment-1', amount: 5, key: 'pay-1', fence: 1 } },
      });
      expect(second.status).toBe(200);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.json.extensions?.idempotency).toEqual({ replayed: true });
      expect(second.text).toBe(replayOf(first.text));
      expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
    });

    it('answers 19 of 20 concurrent identical requests with 409, Retry-After and IDEMPOTENCY_CONCURRENT_REQUEST', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const server = await start({ beforeResolve: () => gate });
      let conflicts = 0;
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          post(server.url, { query: CREATE, variables: { amount: 7 } }, as('alice', '"burst"')).then((response) => {
            if (response.status === 409 && ++conflicts === 19) release();
            return response;
          }),
        ),
      );

      expect(server.runs.createPayment).toBe(1);
      const [winner, ...others] = [...responses].sort((a, b) => a.status - b.status);
      expect(winner?.status).toBe(200);
      expect(winner?.json.data).toEqual({
        createPayment: { id: 'createPayment-1', amount: 7, key: 'burst', fence: 1 },
      });
      expect(others).toHaveLength(19);
      for (const response of others) {
        expect(response.status).toBe(409);
        expect(response.headers.get('retry-after')).toBe('1');
        expect(response.json.data).toBeUndefined();
        expect(codes(response.json)).toEqual(['IDEMPOTENCY_CONCURRENT_REQUEST']);
      }
      const later = await post(server.url, { query: CREATE, variables: { amount: 7 } }, as('alice', '"burst"'));
      expect(later.text).toBe(replayOf(winner?.text ?? ''));
    });

    it('takes the key from the @idempotent(key:) directive, and refuses the directive on a query or nested field (400)', async () => {
      const server = await start();
      const pay = 'mutation Pay($key: String!) { createPayment(amount: 4) @idempotent(key: $key) { id amount } }';
      const first = await post(server.url, { query: pay, variables: { key: 'shopify' } }, as('alice'));
      const retry = await post(server.url, { query: pay, variables: { key: 'shopify' } }, as('alice'));
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.json.data).toEqual(first.json.data);
      const onQuery = await post(server.url, { query: '{ ping @idempotent(key: "q") }' }, as('alice'));
      expect(onQuery.status).toBe(400);
      expect(onQuery.json.errors?.[0]?.message).toBe(
        'The @idempotent directive is allowed only on a root field of a mutation.',
      );
      const nested = await post(
        server.url,
        { query: 'mutation { createPayment(amount: 1) { id @idempotent(key: "n") } }' },
        as('alice'),
      );
      expect(nested.status).toBe(400);
      expect(server.runs.createPayment).toBe(1);
    });

    it('answers the same key with other variables with 422, running nothing', async () => {
      const server = await start();
      await post(server.url, { query: CREATE, variables: { amount: 5 } }, as('alice', '"pay-2"'));
      const other = await post(server.url, { query: CREATE, variables: { amount: 6 } }, as('alice', '"pay-2"'));

      expect(server.runs.createPayment).toBe(1);
      expect(other.status).toBe(422);
      expect(other.json.data).toBeUndefined();
      expect(codes(other.json)).toEqual(['IDEMPOTENCY_KEY_PARAMETER_MISMATCH']);
    });

    it.each([
      ['not an sf-string', '"unterminated'],
      ['sent twice (joined by the server)', '"a", "b"'],
      ['too long', `"${'k'.repeat(256)}"`],
    ])('rejects a malformed key (%s) with 400 IDEMPOTENCY_KEY_INVALID before anything runs', async (_, key) => {
      const server = await start();
      const response = await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice', key));
      expect(response.status).toBe(400);
      expect(codes(response.json)).toEqual(['IDEMPOTENCY_KEY_INVALID']);
      expect(server.runs.createPayment).toBeUndefined();
    });

    it('rejects a keyed mutation without an identity with 401 IDEMPOTENCY_SCOPE_MISSING, running nothing', async () => {
      const server = await start();
      const response = await post(
        server.url,
        { query: CREATE, variables: { amount: 1 } },
        as(undefined, '"anonymous"'),
      );
      expect(response.status).toBe(401);
      expect(codes(response.json)).toEqual(['IDEMPOTENCY_SCOPE_MISSING']);
      expect(server.runs.createPayment).toBeUndefined();
    });

    it('runs a mutation without a key normally and stores nothing, while a keyed one is stored', async () => {
      const server = await start();
      const first = await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice'));
      const second = await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice'));
      expect(server.runs.createPayment).toBe(2);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.json.data).toEqual({ createPayment: { id: 'createPayment-2', amount: 1, key: null, fence: null } });
      expect(second.headers.get('idempotent-replayed')).toBeNull();
      expect(await records()).toEqual([]);

      await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice', '"keyed"'));
      expect(await records()).toHaveLength(1);
    });

    it('never caches queries, even with a key (malformed or not), and keeps answering keyed mutations', async () => {
      const server = await start();
      const queries = [
        await post(server.url, { query: '{ ping }' }, as('alice', '"q-1"')),
        await post(server.url, { query: '{ ping }' }, as('alice', '"q-1"')),
        await post(server.url, { query: 'query { ping }' }, as('alice', '"not", "valid"')),
      ];
      expect(server.runs.ping).toBe(3);
      for (const response of queries) {
        expect(response.status).toBe(200);
        expect(response.text).toBe('{"data":{"ping":"pong"}}\n');
        expect(response.headers.get('idempotent-replayed')).toBeNull();
      }
      expect(await records()).toEqual([]);

      await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice', '"q-1"'));
      const replay = await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice', '"q-1"'));
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    });

    it('stores and replays a result whose non-null child field failed after the root resolver returned', async () => {
      const server = await start();
      const query = 'mutation { createPayment(amount: 2) { id receipt { number } } }';
      const first = await post(server.url, { query }, as('alice', '"child"'));
      const retry = await post(server.url, { query }, as('alice', '"child"'));

      expect(server.runs.createPayment).toBe(1);
      expect(first.json.data).toBeNull();
      expect(first.json.errors?.map((error) => error.path)).toEqual([['createPayment', 'receipt']]);
      expect(retry.status).toBe(first.status);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.text).toBe(replayOf(first.text));
    });

    it('replays a coded error with its custom status and headers, the body after formatError byte-identical', async () => {
      let formatted = 0;
      const server = await start({
        formatError: (error) => {
          formatted++;
          return { ...error, message: `[${String(error.extensions?.code)}] ${error.message}` };
        },
      });
      const query = 'mutation { forbidden(amount: 1) { id } }';
      const first = await post(server.url, { query }, as('alice', '"forbidden"'));
      const retry = await post(server.url, { query }, as('alice', '"forbidden"'));

      expect(server.runs.forbidden).toBe(1);
      expect(formatted).toBe(1);
      expect([first.status, retry.status]).toEqual([403, 403]);
      expect([first.headers.get('x-limit'), retry.headers.get('x-limit')]).toEqual(['10', '10']);
      expect(first.json).toEqual({
        errors: [
          {
            message: '[FORBIDDEN] Limit exceeded.',
            locations: [{ line: 1, column: 12 }],
            path: ['forbidden'],
            extensions: { code: 'FORBIDDEN' },
          },
        ],
        data: { forbidden: null },
      });
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.text).toBe(replayOf(first.text));
    });

    it('keeps two users with the same key apart', async () => {
      const server = await start();
      const alice = await post(server.url, { query: CREATE, variables: { amount: 5 } }, as('alice', '"shared"'));
      const bob = await post(server.url, { query: CREATE, variables: { amount: 5 } }, as('bob', '"shared"'));
      const aliceAgain = await post(server.url, { query: CREATE, variables: { amount: 5 } }, as('alice', '"shared"'));
      const bobAgain = await post(server.url, { query: CREATE, variables: { amount: 5 } }, as('bob', '"shared"'));

      expect(server.runs.createPayment).toBe(2);
      expect(alice.json.data).toEqual({ createPayment: { id: 'createPayment-1', amount: 5, key: 'shared', fence: 1 } });
      expect(bob.json.data).toEqual({ createPayment: { id: 'createPayment-2', amount: 5, key: 'shared', fence: 1 } });
      expect(bob.headers.get('idempotent-replayed')).toBeNull();
      expect(aliceAgain.text).toBe(replayOf(alice.text));
      expect(bobAgain.text).toBe(replayOf(bob.text));
    });

    it('answers 503 IDEMPOTENCY_STORE_UNAVAILABLE without running when the store is down', async () => {
      const deadRedis = connectRedis(
        { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null },
        `redis://127.0.0.1:${await freePort()}`,
      );
      deadRedis.on('error', () => {}); // Nothing listens on that port.
      const server = await startTestServer(integration, {
        idempotency: { store: createRedisStore({ redis: deadRedis, prefix: uniquePrefix('down'), timeout: 500 }) },
      });

      const response = await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice', '"down-1"'));
      expect(response.status).toBe(503);
      expect(response.json.data).toBeUndefined();
      expect(codes(response.json)).toEqual(['IDEMPOTENCY_STORE_UNAVAILABLE']);
      expect(server.runs.createPayment).toBeUndefined();
    });
  },
);
