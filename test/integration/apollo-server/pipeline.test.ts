import { graphqlMajor } from '../../../src/graphql/index.js';
import { describe, expect, it } from 'vitest';
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import {
  as,
  codes,
  integrations,
  post,
  replayOf,
  startTestServer,
  type Context,
  type Integration,
  type TestServer,
  type TestServerOptions,
} from '../../support/servers/apollo-server.js';

const CREATE = 'mutation Create($amount: Int!) { createPayment(amount: $amount) { id amount key fence } }';
const start = (options: TestServerOptions = {}, integration: Integration = 'standalone'): Promise<TestServer> =>
  startTestServer(integration, { label: 'apollo-pipeline', ...options });

/** Calls `fail` the first time, then never again. */
function once(fail: () => never): () => void {
  let failed = false;
  return () => {
    if (failed) return;
    failed = true;
    fail();
  };
}

describe.skipIf(graphqlMajor !== 16).each(integrations)(
  'idempotencyPlugin in the Apollo Server request pipeline (%s)',
  (integration) => {
    it('frees the key when a later plugin fails the request after admission, before execution', async () => {
      const failOnce = once(() => {
        throw new Error('a broken executionDidStart');
      });
      const server = await start(
        { pluginsAfter: [{ requestDidStart: async () => ({ executionDidStart: async () => failOnce() }) }] },
        integration,
      );
      const first = await post(
        server.url,
        { query: CREATE, variables: { amount: 1 } },
        as('alice', '"before-execution"'),
      );
      const retry = await post(
        server.url,
        { query: CREATE, variables: { amount: 1 } },
        as('alice', '"before-execution"'),
      );

      expect(first.status).toBe(500);
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(retry.json.data).toEqual({
        createPayment: { id: 'createPayment-1', amount: 1, key: 'before-execution', fence: 2 },
      });
      expect(server.runs.createPayment).toBe(1);
    });

    it('frees the key when a later plugin answers the admitted operation itself (nothing executed, nothing stored)', async () => {
      let answered = false;
      const canned: ApolloServerPlugin<Context> = {
        requestDidStart: async () => ({
          async responseForOperation(): Promise<GraphQLResponse | null> {
            if (answered) return null;
            answered = true;
            return {
              http: { status: 200, headers: new HeaderMap() },
              body: { kind: 'single', singleResult: { data: { createPayment: { id: 'canned' } } } },
            };
          },
        }),
      };
      const server = await start({ pluginsAfter: [canned] }, integration);
      const first = await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice', '"canned"'));
      const retry = await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice', '"canned"'));

      expect(first.json.data).toEqual({ createPayment: { id: 'canned' } });
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(retry.json.data).toEqual({ createPayment: { id: 'createPayment-1', amount: 1, key: 'canned', fence: 2 } });
      expect(server.runs.createPayment).toBe(1);
    });

    it('stores the executed result when another plugin breaks willSendResponse, so the retry replays instead of running again', async () => {
      const failOnce = once(() => {
        throw new Error('a broken willSendResponse');
      });
      // A synchronous hook placed first throws before Apollo Server reaches the plugin's own willSendResponse.
      const server = await start(
        { pluginsBefore: [{ requestDidStart: async () => ({ willSendResponse: () => failOnce() as never }) }] },
        integration,
      );
      const first = await post(server.url, { query: CREATE, variables: { amount: 3 } }, as('alice', '"orphan"'));
      const retry = await post(server.url, { query: CREATE, variables: { amount: 3 } }, as('alice', '"orphan"'));

      expect(first.status).toBe(500);
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.json.data).toEqual({ createPayment: { id: 'createPayment-1', amount: 3, key: 'orphan', fence: 1 } });
      expect(server.runs.createPayment).toBe(1);
    });

    it('frees the key when execution itself throws, whatever shouldStore says (no resolver ran)', async () => {
      const failOnce = once(() => {
        throw new Error('rootValue failed');
      });
      const server = await start(
        { rootValue: () => failOnce(), idempotency: { shouldStore: () => true } },
        integration,
      );
      const first = await post(
        server.url,
        { query: CREATE, variables: { amount: 1 } },
        as('alice', '"execute-throws"'),
      );
      const retry = await post(
        server.url,
        { query: CREATE, variables: { amount: 1 } },
        as('alice', '"execute-throws"'),
      );

      const third = await post(
        server.url,
        { query: CREATE, variables: { amount: 1 } },
        as('alice', '"execute-throws"'),
      );

      expect(first.status).toBe(500);
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(retry.json.data).toEqual({
        createPayment: { id: 'createPayment-1', amount: 1, key: 'execute-throws', fence: 2 },
      });
      expect(third.text).toBe(replayOf(retry.text));
      expect(server.runs.createPayment).toBe(1);
    });

    it('reads the key from a field argument', async () => {
      const server = await start({}, integration);
      const query = 'mutation($key: String) { createPayment(amount: 3, idempotencyKey: $key) { id key } }';
      const first = await post(server.url, { query, variables: { key: 'arg-1' } }, as('alice'));
      const second = await post(server.url, { query, variables: { key: 'arg-1' } }, as('alice'));

      expect(server.runs.createPayment).toBe(1);
      expect(first.json.data).toEqual({ createPayment: { id: 'createPayment-1', key: 'arg-1' } });
      expect(second.text).toBe(replayOf(first.text));
    });

    it('rejects a mutation without a key with 400 when a key is required, and still lets queries through', async () => {
      const server = await start({ idempotency: { required: true } }, integration);
      const mutation = await post(server.url, { query: CREATE, variables: { amount: 1 } }, as('alice'));
      const query = await post(server.url, { query: '{ ping }' }, as('alice'));

      expect(mutation.status).toBe(400);
      expect(codes(mutation.json)).toEqual(['IDEMPOTENCY_KEY_REQUIRED']);
      expect(server.runs.createPayment).toBeUndefined();
      expect(query.status).toBe(200);
    });
  },
);

describe.skipIf(graphqlMajor !== 16)('idempotencyPlugin without an HTTP request (executeOperation)', () => {
  it('replays and refuses with GraphQL codes only: no HTTP status, no replay header', async () => {
    const server = await start({ idempotency: { getKey: (context) => context.key } });
    const run = (amount: number) =>
      server.apollo.executeOperation<Record<string, unknown>>(
        { query: CREATE, variables: { amount } },
        { contextValue: { user: 'alice', key: 'op-1' } },
      );
    const first = await run(1);
    const replay = await run(1);
    const mismatch = await run(2);

    expect(server.runs.createPayment).toBe(1);
    const bodyOf = (response: GraphQLResponse) =>
      response.body.kind === 'single' ? response.body.singleResult : undefined;
    expect(bodyOf(first)).toEqual({
      data: { createPayment: { id: 'createPayment-1', amount: 1, key: 'op-1', fence: 1 } },
    });
    expect(bodyOf(replay)).toEqual({ ...bodyOf(first), extensions: { idempotency: { replayed: true } } });
    expect(replay.http.status).toBeUndefined();
    expect(replay.http.headers.has('idempotent-replayed')).toBe(false);
    expect(bodyOf(mismatch)?.errors?.map((error) => error.extensions?.code)).toEqual([
      'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
    ]);
    expect(bodyOf(mismatch)?.errors?.[0]?.extensions).not.toHaveProperty('http');
    expect(mismatch.http.status).toBeUndefined();
  });
});
