/**
 * idempotencyPlugin on Apollo Server (standalone and Express 5) with the Redis store: the
 * `@idempotent(key:)` directive, a coded error replayed byte for byte after formatError, a store
 * that is down. What every GraphQL server shares is in graphql/plugin.test.ts.
 */
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
    const start = (options: TestServerOptions = {}): Promise<TestServer> =>
      startTestServer(integration, { label: 'apollo', ...options });

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
