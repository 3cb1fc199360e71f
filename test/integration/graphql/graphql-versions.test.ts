/**
 * Key carriers on the installed graphql major (16 or 17; CI runs this file on both with
 * `scripts/with-peers.sh`): an argument or `@idempotent(key:)` key is read, a disagreeing header is
 * refused, a carrier that cannot be read refuses the request instead of meaning "no key", variables
 * that do not coerce run nothing, and a graphql major the kit does not know is refused at start-up.
 * Origin: issue #18, December 2026 (on graphql 17.1 the argument and directive keys were ignored).
 */
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, subscribe, validate, versionInfo, type DocumentNode, type ExecutionResult } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { idempotencyPlugin } from '../../../src/apollo-server/index.js';
import { idempotentDirectiveTypeDefs, useIdempotency } from '../../../src/envelop/index.js';
import { assertSupportedGraphQL, graphqlMajor } from '../../../src/graphql/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

function payments() {
  const runs = { pay: 0 };
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      ${idempotentDirectiveTypeDefs}
      type Query {
        ping: String!
      }
      type Mutation {
        pay(amount: Int!, idempotencyKey: String): Int!
      }
    `,
    resolvers: { Query: { ping: () => 'pong' }, Mutation: { pay: () => ++runs.pay } },
  });
  const plugin = () =>
    useIdempotency({
      store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('gql-versions') }),
      scope: false,
    });
  return { runs, schema, plugin };
}

interface Body {
  data?: { pay?: number } | null;
  errors?: { extensions?: { code?: string } }[];
  extensions?: { idempotency?: { replayed?: boolean } };
}

function yogaPayments() {
  const { runs, schema, plugin } = payments();
  const yoga = createYoga({ schema, plugins: [plugin()], logging: false });
  const send = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  return { runs, send };
}

describe(`key carriers on graphql ${versionInfo.major}.${versionInfo.minor}`, () => {
  it('reads a key sent as an argument, through a variable: runs once, replays', async () => {
    const { runs, send } = yogaPayments();
    const query = 'mutation ($key: String) { pay(amount: 1, idempotencyKey: $key) }';
    const first = await send(query, { key: 'arg-1' });
    const retry = await send(query, { key: 'arg-1' });
    expect(first.body.data).toEqual({ pay: 1 });
    expect(retry.body).toMatchObject({ data: { pay: 1 }, extensions: { idempotency: { replayed: true } } });
    expect(runs.pay).toBe(1);
  });

  it('reads a key sent in @idempotent(key:): runs once, replays', async () => {
    const { runs, send } = yogaPayments();
    const query = 'mutation ($key: String!) { pay(amount: 1) @idempotent(key: $key) }';
    await send(query, { key: 'dir-1' });
    const retry = await send(query, { key: 'dir-1' });
    expect(retry.body.extensions?.idempotency?.replayed).toBe(true);
    expect(runs.pay).toBe(1);
  });

  it('refuses a header that disagrees with the argument: 400, nothing runs', async () => {
    const { runs, send } = yogaPayments();
    const answer = await send(
      'mutation { pay(amount: 1, idempotencyKey: "arg-2") }',
      {},
      { 'idempotency-key': 'hdr-2' },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(runs.pay).toBe(0);
  });

  it('variables that do not coerce run nothing and leave the key free', async () => {
    const { runs, send } = yogaPayments();
    const query = 'mutation ($amount: Int!) { pay(amount: $amount) }';
    const bad = await send(query, { amount: 'lots' }, { 'idempotency-key': 'coerce-1' });
    expect(bad.body.errors?.length).toBeGreaterThan(0);
    expect(runs.pay).toBe(0);
    const fixed = await send(query, { amount: 3 }, { 'idempotency-key': 'coerce-1' });
    expect(fixed.body).toEqual({ data: { pay: 1 } });
    expect(runs.pay).toBe(1);
  });

  it('a key argument that cannot be read refuses the request (plain executor, no validation): never "no key"', async () => {
    const { runs, schema, plugin } = payments();
    const getEnveloped = envelop({
      plugins: [useEngine({ parse, validate, execute, subscribe }), useSchema(schema), plugin()],
    });
    const { execute: run, schema: enveloped, contextFactory } = getEnveloped({});
    const document = parse('mutation { pay(amount: "not a number", idempotencyKey: "lit-1") }');
    const result = (await run({
      schema: enveloped,
      document,
      contextValue: await contextFactory(),
    })) as ExecutionResult;
    expect(result.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(runs.pay).toBe(0);
  });

  it.skipIf(graphqlMajor < 17)(
    'a key passed through fragment arguments (graphql 17, experimental) is refused, not ignored',
    async () => {
      const { runs, schema, plugin } = payments();
      const getEnveloped = envelop({
        plugins: [useEngine({ parse, validate, execute, subscribe }), useSchema(schema), plugin()],
      });
      const { execute: run, schema: enveloped, contextFactory } = getEnveloped({});
      const parseWithFragmentArguments = parse as (source: string, options: Record<string, unknown>) => DocumentNode;
      const document = parseWithFragmentArguments(
        'mutation { ...Pay(key: "frag-1") } fragment Pay($key: String) on Mutation { pay(amount: 1, idempotencyKey: $key) }',
        { experimentalFragmentArguments: true },
      );
      for (let attempt = 0; attempt < 2; attempt++) {
        const result = (await run({
          schema: enveloped,
          document,
          contextValue: await contextFactory(),
        })) as ExecutionResult;
        expect(result.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
      }
      expect(runs.pay).toBe(0);
    },
  );
});

describe('graphql majors at start-up', () => {
  it('a graphql major the kit does not know is refused with an error naming the supported range', () => {
    const others = [15, 18].filter((major) => major !== graphqlMajor);
    expect(() => assertSupportedGraphQL('useIdempotency', others)).toThrow(
      new RegExp(
        `useIdempotency: graphql ${graphqlMajor}\\.\\d+\\.\\d+ is installed, but .* supports graphql 15\\.x or 18\\.x`,
      ),
    );
    expect(() => assertSupportedGraphQL('useIdempotency')).not.toThrow();
  });

  it('the Apollo Server plugin is created on graphql 16 and refused on 17 (Apollo Server 5 supports ^16.11.0)', () => {
    const create = () => idempotencyPlugin({ store: createRedisStore({ redis: connectRedis() }), scope: false });
    if (graphqlMajor === 16) expect(create).not.toThrow();
    else
      expect(create).toThrow(
        /idempotencyPlugin: graphql 17\.\d+\.\d+ is installed, .* graphql 16\.x .*Apollo Server 5/,
      );
  });
});
