/**
 * GraphQL Yoga edges of "a keyed mutation runs at most once", "no caller gets
 * another caller's result" and "no key stays locked". Each test counts the resolver's runs.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import { GraphQLError, GraphQLScalarType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useIdempotency } from '../../../src/envelop/index.js';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { payResolvers, payTypeDefs } from '../../support/servers/payments.js';
import { as, codes, post, startYoga, type Ctx } from '../../support/servers/yoga.js';

describe('batched HTTP requests (Yoga batching) carrying one key header', () => {
  it('two identical operations under one header key: both refused (IDEMPOTENCY_KEY_INVALID), nothing runs; the retry of the batch too', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, yoga: { batching: true }, label: 'batch-same' });
    const op = { query: 'mutation { pay(amount: 3) { id amount } }' };
    const answer = await post(server, [op, op], as('alice', '"batch-1"'));
    const retry = await post(server, [op, op], as('alice', '"batch-1"'));
    for (const sent of [answer, retry]) {
      expect(sent.json.map((result) => codes(result))).toEqual([
        ['IDEMPOTENCY_KEY_INVALID'],
        ['IDEMPOTENCY_KEY_INVALID'],
      ]);
      expect(sent.json.map((result) => result.data ?? undefined)).toEqual([undefined, undefined]);
    }
    expect(answer.json[0]?.errors?.[0]?.message).toMatch(/one key for every operation of the batch/);
    expect(runs.pay).toBe(0);
  });

  it('two different inputs under one header key: both refused, nothing runs (no result handed to the other)', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, yoga: { batching: true }, label: 'batch-diff' });
    const answer = await post(
      server,
      [{ query: 'mutation { pay(amount: 3) { id amount } }' }, { query: 'mutation { pay(amount: 4) { id amount } }' }],
      as('alice', '"batch-2"'),
    );
    expect(answer.json.map((result) => codes(result))).toEqual([
      ['IDEMPOTENCY_KEY_INVALID'],
      ['IDEMPOTENCY_KEY_INVALID'],
    ]);
    expect(runs.pay).toBe(0);
  });

  it('a batch of one operation under a header key is keyed by it: runs once, the retry replays', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, yoga: { batching: true }, label: 'batch-one' });
    const op = { query: 'mutation { pay(amount: 3) { id amount } }' };
    const first = await post(server, [op], as('alice', '"batch-3"'));
    const retry = await post(server, [op], as('alice', '"batch-3"'));
    expect(retry.json[0]?.data).toEqual(first.json[0]?.data);
    expect(retry.json[0]?.extensions).toEqual({ idempotency: { replayed: true } });
    expect(runs.pay).toBe(1);
  });
});

describe('operation shape: aliases, fragments at the root, __typename, operationName', () => {
  it('aliased root fields through a root fragment run once per execution, replay in full, and a changed fragment is 422', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, label: 'shape' });
    const query = (amount: number) =>
      `mutation M { __typename a: pay(amount: 1) { id } ...F } fragment F on Mutation { b: pay(amount: ${amount}) { id amount __typename } }`;
    const first = await post(server, { query: query(2), operationName: 'M' }, as('alice', '"shape-1"'));
    expect(runs.pay).toBe(2);
    const retry = await post(server, { query: query(2), operationName: 'M' }, as('alice', '"shape-1"'));
    expect(runs.pay).toBe(2);
    expect(retry.json.data).toEqual(first.json.data);
    const changed = await post(server, { query: query(3), operationName: 'M' }, as('alice', '"shape-1"'));
    expect(codes(changed.json)).toEqual(['IDEMPOTENCY_KEY_PARAMETER_MISMATCH']);
    expect(runs.pay).toBe(2);
  });

  it('operationName picks another mutation of the same document: 422, not a replay of the other one', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, label: 'opname' });
    const query = 'mutation Small { pay(amount: 1) { id amount } } mutation Big { pay(amount: 1000) { id amount } }';
    await post(server, { query, operationName: 'Small' }, as('alice', '"opname-1"'));
    const big = await post(server, { query, operationName: 'Big' }, as('alice', '"opname-1"'));
    expect(codes(big.json)).toEqual(['IDEMPOTENCY_KEY_PARAMETER_MISMATCH']);
    expect(runs.pay).toBe(1);
  });
});

describe('variables that fail coercion', () => {
  it('claim nothing for longer than the request: the same key then runs once with valid variables', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, label: 'coercion' });
    const query = 'mutation ($amount: Int!) { pay(amount: $amount) { id amount } }';
    const bad = await post(server, { query, variables: { amount: 'lots' } }, as('alice', '"coerce-1"'));
    expect(bad.json.errors?.length).toBeGreaterThan(0);
    expect(runs.pay).toBe(0);
    const good = await post(server, { query, variables: { amount: 5 } }, as('alice', '"coerce-1"'));
    expect(good.json.data).toEqual({ pay: { id: 'p1', amount: 5 } });
    await post(server, { query, variables: { amount: 5 } }, as('alice', '"coerce-1"'));
    expect(runs.pay).toBe(1);
  });
});

describe('plugins that answer early', () => {
  it('a plugin added with addPlugin by a plugin listed after ours, answering in onExecute, leaves no key locked, and nothing ran', async () => {
    const { runs, resolvers } = payResolvers();
    let limiting = true;
    const rateLimiter: Plugin = {
      onPluginInit({ addPlugin }) {
        addPlugin({
          onExecute({ setResultAndStopExecution }) {
            if (limiting)
              setResultAndStopExecution({
                errors: [
                  new GraphQLError('Slow down.', { extensions: { code: 'RATE_LIMITED', http: { status: 429 } } }),
                ],
              });
          },
        });
      },
    };
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, pluginsAfter: [rateLimiter], label: 'early' });
    const query = 'mutation { pay(amount: 9) { id amount } }';
    const limited = await post(server, { query }, as('alice', '"early-1"'));
    expect(codes(limited.json)).toEqual(['RATE_LIMITED']);
    limiting = false;
    const ran = await post(server, { query }, as('alice', '"early-1"'));
    expect(ran.json.data).toEqual({ pay: { id: 'p1', amount: 9 } });
    expect(runs.pay).toBe(1);
  });
});

describe('@defer hidden in a fragment of a nested field', () => {
  it('is refused up front for a keyed mutation, nothing runs', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, plugins: [useDeferStream()], label: 'defer' });
    const query =
      'mutation { pay(amount: 1) { ...P } } fragment P on Payment { id ...Q } fragment Q on Payment { ... @defer { amount } }';
    const keyed = await post(server, { query }, as('alice', '"defer-1"'));
    expect(codes(keyed.json)).toEqual(['IDEMPOTENCY_STREAM_UNSUPPORTED']);
    expect(runs.pay).toBe(0);
  });
});

describe('root resolver tracking', () => {
  it('a nullable root field whose resolver returned null is stored (it ran), even when a plugin hands execution a fresh context object', async () => {
    const { runs, resolvers } = payResolvers();
    // A plugin that gives execution its own context object (a per-execution child context, a
    // sanitised copy): the library's own comment says `rootReturned` covers "a plugin that replaced the context object".
    const freshContext: Plugin = {
      onExecute({ setExecuteFn, executeFn }) {
        setExecuteFn((args) => executeFn({ ...args, contextValue: { request: (args.contextValue as Ctx).request } }));
      },
    };
    const server = await startYoga({ typeDefs: payTypeDefs, resolvers, plugins: [freshContext], label: 'fresh-ctx' });
    const query = 'mutation { settle(amount: 5) { id } }';
    const first = await post(server, { query }, as('alice', '"settle-1"'));
    expect(first.json.data).toEqual({ settle: null });
    await post(server, { query }, as('alice', '"settle-1"'));
    expect(runs.settle).toBe(1);
  });

  it('two useIdempotency instances (separate stores): a nullable root that returned null runs once', async () => {
    const { runs, resolvers } = payResolvers();
    const second = useIdempotency<Ctx>({
      store: createMemoryStore(),
      scope: (ctx) => ctx.request.headers.get('x-user'),
    });
    const server = await startYoga({
      typeDefs: payTypeDefs,
      resolvers,
      pluginsAfter: [second as Plugin],
      label: 'two-instances',
    });
    const query = 'mutation { settle(amount: 5) { id } }';
    await post(server, { query }, as('alice', '"two-1"'));
    const retry = await post(server, { query }, as('alice', '"two-1"'));
    expect(runs.settle).toBe(1);
    expect(retry.json.extensions).toEqual({ idempotency: { replayed: true } });
  });
});

describe('identity (scope) values', () => {
  it('a scope function that returns a user object (not its id) never lets user B receive user A’s result', async () => {
    const { runs, resolvers } = payResolvers();
    // A JavaScript (or `any`-typed) context where the scope returns the user record instead of its id.
    const users: Record<string, { id: string; name: string }> = {
      alice: { id: 'u1', name: 'Alice' },
      bob: { id: 'u2', name: 'Bob' },
    };
    const server = await startYoga({
      typeDefs: payTypeDefs,
      resolvers,
      label: 'scope-object',
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      idempotency: { scope: ((ctx: Ctx) => users[ctx.request.headers.get('x-user') ?? '']) as any },
    });
    const query = 'mutation { pay(amount: 10) { id amount } }';
    const alice = await post(server, { query }, as('alice', '"shared-key"'));
    const bob = await post(server, { query }, as('bob', '"shared-key"'));
    // A scope that is not an id is a configuration error (a TypeError naming the option): every keyed
    // mutation fails and nothing runs — never Alice's payment for Bob.
    for (const answer of [alice, bob]) {
      expect(answer.json.data ?? null).toBeNull();
      expect(answer.json.errors?.length).toBeGreaterThan(0);
    }
    expect(runs.pay).toBe(0);
  });
});

describe('a plugin that throws in onExecute, added with addPlugin by a plugin listed after useIdempotency (envelop inserts it before ours)', () => {
  it('leaves no key locked for longer than one lease once the request is gone', async () => {
    const { runs, resolvers } = payResolvers();
    let blocking = true;
    const guard: Plugin = {
      onPluginInit({ addPlugin }) {
        addPlugin({
          onExecute() {
            if (blocking)
              throw new GraphQLError('Operation blocked.', { extensions: { code: 'BLOCKED', http: { status: 403 } } });
          },
        });
      },
    };
    const server = await startYoga({
      typeDefs: payTypeDefs,
      resolvers,
      pluginsAfter: [guard],
      idempotency: { lease: 600 },
      label: 'throw-after',
    });
    const query = 'mutation { pay(amount: 2) { id amount } }';
    const blocked = await post(server, { query }, as('alice', '"throw-after-1"'));
    expect(blocked.json.errors?.length).toBeGreaterThan(0);
    expect(runs.pay).toBe(0);
    blocking = false;
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // two leases
    const later = await post(server, { query }, as('alice', '"throw-after-1"'));
    expect(codes(later.json)).toBeUndefined(); // not 409 IDEMPOTENCY_CONCURRENT_REQUEST
    expect(later.json.data).toEqual({ pay: { id: 'p1', amount: 2 } });
  });
});

describe('key carriers: a JSON-scalar argument is not an input object', () => {
  const jsonTypeDefs = /* GraphQL */ `
    scalar JSON
    type Query {
      ping: String
    }
    type Payment {
      id: ID!
      amount: Int!
    }
    type Mutation {
      pay(amount: Int!, metadata: JSON): Payment!
    }
  `;
  function jsonPayments() {
    let runs = 0;
    return {
      runs: () => runs,
      resolvers: {
        JSON: new GraphQLScalarType({ name: 'JSON', serialize: (value) => value, parseValue: (value) => value }),
        Mutation: { pay: (_: unknown, { amount }: { amount: number }) => ({ id: `p${++runs}`, amount }) },
      },
    };
  }

  it('two separate unkeyed payments whose free-form metadata happens to hold "idempotencyKey" both run, each caller gets its own payment', async () => {
    const { runs, resolvers } = jsonPayments();
    const server = await startYoga({ typeDefs: jsonTypeDefs, resolvers, label: 'json-meta' });
    const query = 'mutation ($meta: JSON) { pay(amount: 10, metadata: $meta) { id amount } }';
    // e.g. metadata copied from an upstream order / webhook payload
    const variables = { meta: { source: 'shop', idempotencyKey: 'order-7' } };
    const first = await post(server, { query, variables }, as('alice'));
    const second = await post(server, { query, variables }, as('alice'));
    expect(runs()).toBe(2);
    expect(second.json.data).not.toEqual(first.json.data);
  });

  it('a client-minted header key is not refused because metadata holds another "idempotencyKey"', async () => {
    const { runs, resolvers } = jsonPayments();
    const server = await startYoga({ typeDefs: jsonTypeDefs, resolvers, label: 'json-meta-header' });
    const query = 'mutation ($meta: JSON) { pay(amount: 10, metadata: $meta) { id amount } }';
    const answer = await post(
      server,
      { query, variables: { meta: { idempotencyKey: 'order-7' } } },
      as('alice', '"client-key-1"'),
    );
    expect(codes(answer.json)).toBeUndefined();
    expect(runs()).toBe(1);
  });
});
