/**
 * Apollo Server 5 (standalone, real HTTP, real Redis) edges of the promises: other plugins around
 * ours, batched requests under one key header (standalone and Express 5), a server-wide fieldResolver.
 * Includes reproductions from the adversarial reviews of November and December 2026; the batch under
 * Express 5 came from the review's express5 reproduction.
 */
import { graphqlMajor } from '../../../src/graphql/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApolloServerPlugin } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import {
  as,
  codes,
  integrations,
  post,
  startApollo,
  type Context,
  type Integration,
} from '../../support/servers/apollo-server.js';
import { payTypeDefs, payResolvers } from '../../support/servers/payments.js';
import { onClose, redisStore } from '../../support/servers/yoga.js';

async function start(options: {
  before?: ApolloServerPlugin<Context>[];
  after?: ApolloServerPlugin<Context>[];
  batching?: boolean;
  integration?: Integration;
  label: string;
}) {
  const { runs, resolvers } = payResolvers();
  const server = await startApollo({
    typeDefs: payTypeDefs,
    resolvers,
    pluginsBefore: options.before,
    pluginsAfter: options.after,
    batching: options.batching,
    integration: options.integration,
    idempotency: { store: redisStore(options.label) },
  });
  onClose(() => server.close());
  return { url: server.url, runs };
}

describe.skipIf(graphqlMajor !== 16)('Apollo Server: other plugins around the idempotency plugin', () => {
  it('a didEncounterErrors hook that throws after the root resolver returned: the retry is refused (no response was built), never run again', async () => {
    const flaky: ApolloServerPlugin<Context> = {
      async requestDidStart() {
        return {
          async didEncounterErrors() {
            throw new Error('error reporter is down');
          },
        };
      },
    };
    const { url, runs } = await start({ before: [flaky], label: 'apollo-did-encounter' });
    const query = 'mutation { pay(amount: 3) { id receipt { number } } }';
    await post(url, { query }, as('alice', '"apollo-dee"'));
    const retry = await post(url, { query }, as('alice', '"apollo-dee"'));
    expect(runs.pay).toBe(1);
    // docs/apollo-server.md: a root resolver returned but no response was built: repeats are refused.
    expect(retry.status).toBe(500);
    expect(codes(retry.json)).toEqual(['IDEMPOTENCY_RESULT_NOT_STORED']);
  });

  it('a slow (not failing) willSendResponse of another plugin: a coded client error is stored and not run again', async () => {
    const slow: ApolloServerPlugin<Context> = {
      async requestDidStart() {
        return {
          async willSendResponse() {
            await sleep(1_500);
          },
        };
      },
    };
    const { url, runs } = await start({ before: [slow], label: 'apollo-slow' });
    const query = 'mutation { declined(amount: 3) { id } }';
    await post(url, { query }, as('alice', '"apollo-slow"'));
    const retry = await post(url, { query }, as('alice', '"apollo-slow"'));
    expect(runs.declined).toBe(1);
    expect(retry.json.extensions).toEqual({ idempotency: { replayed: true } });
  });

  it('a plugin after ours that answers in responseForOperation leaves no key locked, and nothing ran', async () => {
    let answering = true;
    const cache: ApolloServerPlugin<Context> = {
      async requestDidStart() {
        return {
          async responseForOperation() {
            if (!answering) return null;
            return {
              http: { status: 429, headers: new Map() as never },
              body: { kind: 'single', singleResult: { errors: [{ message: 'Slow down.' }] } },
            };
          },
        };
      },
    };
    const { url, runs } = await start({ after: [cache], label: 'apollo-answer' });
    const query = 'mutation { pay(amount: 4) { id } }';
    const limited = await post(url, { query }, as('alice', '"apollo-answer"'));
    expect(limited.status).toBe(429);
    answering = false;
    const ran = await post(url, { query }, as('alice', '"apollo-answer"'));
    expect(ran.json.data).toEqual({ pay: { id: 'p1' } });
    expect(runs.pay).toBe(1);
  });
});

describe.skipIf(graphqlMajor !== 16).each(integrations)(
  'Apollo Server (%s): batched HTTP requests carrying one key header',
  (integration) => {
    it('two identical operations in one batch under one header key: both refused (IDEMPOTENCY_KEY_INVALID), nothing runs; the retry of the batch too', async () => {
      const { url, runs } = await start({ batching: true, integration, label: 'apollo-batch' });
      const op = { query: 'mutation { pay(amount: 5) { id amount } }' };
      const first = await post(url, [op, op], as('alice', '"apollo-batch"'));
      const retry = await post(url, [op, op], as('alice', '"apollo-batch"'));
      for (const sent of [first, retry]) {
        expect(sent.status).toBe(400);
        expect(sent.json.map((result) => codes(result))).toEqual([
          ['IDEMPOTENCY_KEY_INVALID'],
          ['IDEMPOTENCY_KEY_INVALID'],
        ]);
        expect(sent.json.every((result) => result.data === undefined)).toBe(true);
      }
      expect(first.json[0]?.errors?.[0]?.message).toMatch(/one key for every operation of the batch/);
      expect(runs.pay).toBe(0);
    });

    it('a batch of one operation under a header key is refused too (Apollo Server does not say how many a batch holds)', async () => {
      const { url, runs } = await start({ batching: true, integration, label: 'apollo-batch-one' });
      const sent = await post(
        url,
        [{ query: 'mutation { pay(amount: 5) { id amount } }' }],
        as('alice', '"apollo-one"'),
      );
      expect(sent.json.map((result) => codes(result))).toEqual([['IDEMPOTENCY_KEY_INVALID']]);
      expect(runs.pay).toBe(0);
    });

    it('a batch without a key header runs each operation unkeyed, as before', async () => {
      const { url, runs } = await start({ batching: true, integration, label: 'apollo-batch-unkeyed' });
      const op = { query: 'mutation { pay(amount: 5) { id amount } }' };
      const sent = await post(url, [op, op], as('alice'));
      expect(sent.json.map((result) => result.errors)).toEqual([undefined, undefined]);
      expect(runs.pay).toBe(2);
    });
  },
);

describe.skipIf(graphqlMajor !== 16)(
  'Apollo Server: a server-wide fieldResolver (root mutation fields without their own resolver)',
  () => {
    it('the mutation still runs through the server’s fieldResolver once the plugin has wrapped the schema', async () => {
      let runs = 0;
      const server = await startApollo({
        typeDefs: payTypeDefs,
        // A dispatching field resolver (e.g. a command bus): Mutation.pay has no resolver of its own.
        fieldResolver: (source, args, _ctx, info) => {
          if (info.parentType.name === 'Mutation' && info.fieldName === 'pay')
            return { id: `p${++runs}`, amount: (args as { amount: number }).amount };
          return (source as Record<string, unknown> | undefined)?.[info.fieldName];
        },
        idempotency: { store: redisStore('apollo-field-resolver') },
      });
      onClose(() => server.close());
      const { url } = server;
      const keyed = await post(url, { query: 'mutation { pay(amount: 2) { id amount } }' }, as('alice', '"fr-1"'));
      expect(keyed.json.data).toEqual({ pay: { id: 'p1', amount: 2 } });
      const unkeyed = await post(url, { query: 'mutation { pay(amount: 3) { id amount } }' }, as('alice'));
      expect(unkeyed.json.data).toEqual({ pay: { id: 'p2', amount: 3 } });
    });
  },
);
