/**
 * Key carriers on the installed graphql major (16 or 17; CI runs this file on both with
 * `scripts/with-peers.sh`): an argument or `@idempotent(key:)` key is read, a disagreeing header is
 * refused, a carrier that cannot be read refuses the request instead of meaning "no key", variables
 * that do not coerce run nothing, and a graphql major the kit does not know is refused at start-up.
 * Yoga through the harness; the plain `envelop()` executor is built here (no Yoga, no validation).
 * Origin: issue #18, December 2026 (on graphql 17.1 the argument and directive keys were ignored).
 */
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, subscribe, validate, versionInfo, type DocumentNode, type ExecutionResult } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { idempotencyPlugin } from '../../../src/apollo-server/index.js';
import { idempotentDirectiveTypeDefs, useIdempotency } from '../../../src/envelop/index.js';
import { assertSupportedGraphQL, graphqlMajor } from '../../../src/graphql/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis } from '../../support/redis/client.js';
import { post, redisStore, startYoga } from '../../support/servers/yoga.js';

const typeDefs = /* GraphQL */ `
  ${idempotentDirectiveTypeDefs}
  type Query {
    ping: String!
  }
  type Mutation {
    pay(amount: Int!, idempotencyKey: String): Int!
  }
`;

function payments() {
  const runs = { pay: 0 };
  return { runs, resolvers: { Query: { ping: () => 'pong' }, Mutation: { pay: () => ++runs.pay } } };
}

interface Body {
  data?: { pay?: number } | null;
  errors?: { extensions?: { code?: string } }[];
  extensions?: { idempotency?: { replayed?: boolean } };
}

/** The payments schema on the Yoga harness (in-process), no scope. */
async function yogaPayments() {
  const { runs, resolvers } = payments();
  const server = await startYoga({ typeDefs, resolvers, label: 'gql-versions', idempotency: { scope: false } });
  const send = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const response = await post(server, { query, variables }, headers);
    return { status: response.status, body: response.json as Body };
  };
  return { runs, send };
}

/** The payments schema behind a plain `envelop()` executor (no HTTP, no validation): `run` executes a document. */
function plainExecutor() {
  const { runs, resolvers } = payments();
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe }),
      useSchema(createSchema({ typeDefs, resolvers })),
      useIdempotency({ store: redisStore('gql-versions'), scope: false }),
    ],
  });
  const { execute: run, schema, contextFactory } = getEnveloped({});
  return {
    runs,
    run: async (document: DocumentNode) =>
      (await run({ schema, document, contextValue: await contextFactory() })) as ExecutionResult,
  };
}

describe(`key carriers on graphql ${versionInfo.major}.${versionInfo.minor}`, () => {
  it('reads a key sent as an argument, through a variable: runs once, replays', async () => {
    const { runs, send } = await yogaPayments();
    const query = 'mutation ($key: String) { pay(amount: 1, idempotencyKey: $key) }';
    const first = await send(query, { key: 'arg-1' });
    const retry = await send(query, { key: 'arg-1' });
    expect(first.body.data).toEqual({ pay: 1 });
    expect(retry.body).toMatchObject({ data: { pay: 1 }, extensions: { idempotency: { replayed: true } } });
    expect(runs.pay).toBe(1);
  });

  it('reads a key sent in @idempotent(key:): runs once, replays', async () => {
    const { runs, send } = await yogaPayments();
    const query = 'mutation ($key: String!) { pay(amount: 1) @idempotent(key: $key) }';
    await send(query, { key: 'dir-1' });
    const retry = await send(query, { key: 'dir-1' });
    expect(retry.body.extensions?.idempotency?.replayed).toBe(true);
    expect(runs.pay).toBe(1);
  });

  it('refuses a header that disagrees with the argument: 400, nothing runs', async () => {
    const { runs, send } = await yogaPayments();
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
    const { runs, send } = await yogaPayments();
    const query = 'mutation ($amount: Int!) { pay(amount: $amount) }';
    const bad = await send(query, { amount: 'lots' }, { 'idempotency-key': 'coerce-1' });
    expect(bad.body.errors?.length).toBeGreaterThan(0);
    expect(runs.pay).toBe(0);
    const fixed = await send(query, { amount: 3 }, { 'idempotency-key': 'coerce-1' });
    expect(fixed.body).toEqual({ data: { pay: 1 } });
    expect(runs.pay).toBe(1);
  });

  it('a key argument that cannot be read refuses the request (plain executor, no validation): never "no key"', async () => {
    const { runs, run } = plainExecutor();
    const result = await run(parse('mutation { pay(amount: "not a number", idempotencyKey: "lit-1") }'));
    expect(result.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(runs.pay).toBe(0);
  });

  it.skipIf(graphqlMajor < 17)(
    'a key passed through fragment arguments (graphql 17, experimental) is refused, not ignored',
    async () => {
      const { runs, run } = plainExecutor();
      const parseWithFragmentArguments = parse as (source: string, options: Record<string, unknown>) => DocumentNode;
      const document = parseWithFragmentArguments(
        'mutation { ...Pay(key: "frag-1") } fragment Pay($key: String) on Mutation { pay(amount: 1, idempotencyKey: $key) }',
        { experimentalFragmentArguments: true },
      );
      for (let attempt = 0; attempt < 2; attempt++) {
        expect((await run(document)).errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
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
