/**
 * useIdempotency where no HTTP request exists: Yoga's documented graphql-ws integration (a real
 * graphql-ws server and client over a real WebSocket) and a plain envelop() executor. Keys come from
 * the argument or `getKey`; answers are GraphQL errors with the same codes and no `extensions.http`.
 * Yoga through the harness; the plain envelop() executor is built here (no Yoga, no HTTP).
 */
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, specifiedRules, subscribe, validate, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { createSchema } from 'graphql-yoga';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { GraphQLIdempotencyContext, UseIdempotencyOptions } from '../../../src/envelop/index.js';
import { useIdempotency } from '../../../src/envelop/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { payResolvers, payTypeDefs } from '../../support/servers/payments.js';
import { createTestYoga, serveYoga, type ServedYoga } from '../../support/servers/yoga.js';

interface Context {
  user?: string;
  connectionKey?: string;
  idempotency?: GraphQLIdempotencyContext;
}

/** The pay schema (payments.ts) whose `pay` can be held open. */
function payments() {
  let gate: Promise<void> = Promise.resolve();
  const { runs, resolvers } = payResolvers({ before: () => gate });
  return { typeDefs: payTypeDefs, resolvers, runs, hold: (until: Promise<void>) => (gate = until) };
}

function options(extra: Partial<UseIdempotencyOptions<Context>> = {}): UseIdempotencyOptions<Context> {
  return {
    store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('no-http') }),
    scope: (context) => context.user,
    ...extra,
  };
}

const PAY =
  'mutation Pay($amount: Int!, $key: String) { pay(amount: $amount, idempotencyKey: $key) { id amount fence } }';

describe('useIdempotency in a plain envelop() executor', () => {
  const { typeDefs, resolvers, runs, hold } = payments();
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe, specifiedRules }),
      useSchema(createSchema<Context>({ typeDefs, resolvers })),
      useIdempotency<Context>(options()),
    ],
  });
  async function run(variables: Record<string, unknown>, context: Context): Promise<ExecutionResult> {
    const enveloped = getEnveloped(context);
    const document = enveloped.parse(PAY);
    return (await enveloped.execute({
      schema: enveloped.schema,
      document,
      variableValues: variables,
      contextValue: await enveloped.contextFactory(),
    } as ExecutionArgs)) as ExecutionResult;
  }

  it('runs once, replays with extensions.idempotency and no http extension, answers 409/422/401 as GraphQL error codes', async () => {
    let release!: () => void;
    hold(new Promise<void>((resolve) => (release = resolve)));
    const first = run({ amount: 5, key: 'env-1' }, { user: 'alice' });
    await expect.poll(() => runs.pay).toBe(1);
    const concurrent = await run({ amount: 5, key: 'env-1' }, { user: 'alice' });
    expect(concurrent.errors?.[0]?.extensions).toEqual({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST' });
    release();
    const original = await first;
    expect(original).toEqual({ data: { pay: { id: 'p1', amount: 5, fence: 1 } } });

    const replay = await run({ amount: 5, key: 'env-1' }, { user: 'alice' });
    expect(replay.data).toEqual(original.data);
    expect(replay.extensions).toEqual({ idempotency: { replayed: true } });
    const mismatch = await run({ amount: 6, key: 'env-1' }, { user: 'alice' });
    expect(mismatch.errors?.[0]?.extensions).toEqual({ code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH' });
    const anonymous = await run({ amount: 5, key: 'env-1' }, {});
    expect(anonymous.errors?.[0]?.extensions).toEqual({ code: 'IDEMPOTENCY_SCOPE_MISSING' });
    expect(runs.pay).toBe(1);
  });

  it('runs an unkeyed mutation without a request and without throwing', async () => {
    const before = runs.pay;
    const result = await run({ amount: 1 }, { user: 'alice' });
    expect(result.errors).toBeUndefined();
    expect(runs.pay).toBe(before + 1);
  });
});

describe('useIdempotency over graphql-ws (Yoga’s documented integration, real client and server)', () => {
  const { typeDefs, resolvers, runs } = payments();
  let served: ServedYoga | undefined;
  let url: string;
  const clients: Client[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await served?.close();
  });

  async function startWs() {
    const yoga = createTestYoga<Context>({
      typeDefs,
      resolvers,
      idempotency: options({ getKey: (context) => context.connectionKey }),
    });
    served = await serveYoga(yoga, {
      graphqlWs: (ctx) => {
        const connection = ctx.connectionParams as { user?: string; key?: string } | undefined;
        return {
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          user: connection?.user,
          connectionKey: connection?.key,
        };
      },
    });
    url = served.url.replace('http://', 'ws://');
  }

  function client(connectionParams: Record<string, string>): Client {
    const created = createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
    clients.push(created);
    return created;
  }

  function send(on: Client, variables: Record<string, unknown>): Promise<ExecutionResult> {
    return new Promise((resolve, reject) => {
      let result: ExecutionResult | undefined;
      on.subscribe(
        { query: PAY, variables },
        { next: (value) => (result = value as ExecutionResult), error: reject, complete: () => resolve(result!) },
      );
    });
  }

  it('runs a keyed mutation once (key in the argument), replays it without an http extension, and refuses mismatches and missing identity', async () => {
    await startWs();
    const alice = client({ user: 'alice' });
    const first = await send(alice, { amount: 9, key: 'ws-1' });
    expect(first).toEqual({ data: { pay: { id: 'p1', amount: 9, fence: 1 } } });
    const retry = await send(client({ user: 'alice' }), { amount: 9, key: 'ws-1' });
    expect(retry).toEqual({ data: first.data, extensions: { idempotency: { replayed: true } } });
    const mismatch = await send(alice, { amount: 10, key: 'ws-1' });
    expect(mismatch.errors?.[0]).toMatchObject({ extensions: { code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH' } });
    const anonymous = await send(client({}), { amount: 9, key: 'ws-1' });
    expect(anonymous.errors?.[0]).toMatchObject({ extensions: { code: 'IDEMPOTENCY_SCOPE_MISSING' } });
    expect(runs.pay).toBe(1);
  });

  it('takes the key from getKey (connection params) and agrees with the argument', async () => {
    const keyed = client({ user: 'bob', key: 'conn-key' });
    await send(keyed, { amount: 2 });
    const retry = await send(keyed, { amount: 2 });
    expect(retry.extensions).toEqual({ idempotency: { replayed: true } });
    const disagree = await send(keyed, { amount: 2, key: 'other' });
    expect(disagree.errors?.[0]).toMatchObject({ extensions: { code: 'IDEMPOTENCY_KEY_INVALID' } });
    expect(runs.pay).toBe(2);
  });
});

describe('a Yoga whose getKey reads graphql-ws connection params, also serving HTTP (as docs/envelop-and-graphql-ws.md shows)', () => {
  type HttpContext = Context & { request?: Request };
  const { typeDefs, resolvers, runs } = payments();
  let served: ServedYoga | undefined;
  afterAll(async () => {
    await served?.close();
  });

  async function post(amount: number, headers: Record<string, string>) {
    served ??= await serveYoga(
      createTestYoga<HttpContext>({
        typeDefs,
        resolvers,
        idempotency: options({
          scope: (context: HttpContext) => context.request?.headers.get('x-user') ?? context.user,
          getKey: (context: HttpContext) => context.request?.headers.get('x-connection-key') ?? context.connectionKey,
        }) as UseIdempotencyOptions<HttpContext>,
      }),
    );
    const response = await fetch(served.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'carol', ...headers },
      body: JSON.stringify({ query: PAY, variables: { amount } }),
    });
    const body = (await response.json()) as ExecutionResult;
    return {
      status: response.status,
      replayed: response.headers.get('idempotent-replayed'),
      codes: body.errors?.map((error) => error.extensions?.code),
    };
  }

  it('still reads an HTTP request’s Idempotency-Key header when getKey finds nothing: getKey adds a carrier, never replaces one', async () => {
    expect(await post(5, { 'idempotency-key': '"h-1"' })).toEqual({ status: 200, replayed: null, codes: undefined });
    expect(await post(5, { 'idempotency-key': '"h-1"' })).toEqual({ status: 200, replayed: 'true', codes: undefined });
    expect(await post(6, { 'idempotency-key': '"h-1"' })).toEqual({
      status: 422,
      replayed: null,
      codes: ['IDEMPOTENCY_KEY_PARAMETER_MISMATCH'],
    });
    expect(runs.pay).toBe(1);
  });

  it('refuses a header and a getKey value that disagree (400), and replays when they agree', async () => {
    expect(await post(5, { 'idempotency-key': '"h-1"', 'x-connection-key': 'h-2' })).toEqual({
      status: 400,
      replayed: null,
      codes: ['IDEMPOTENCY_KEY_INVALID'],
    });
    expect(await post(5, { 'idempotency-key': '"h-1"', 'x-connection-key': 'h-1' })).toEqual({
      status: 200,
      replayed: 'true',
      codes: undefined,
    });
    expect(runs.pay).toBe(1);
  });
});
