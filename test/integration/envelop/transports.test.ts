/**
 * Transports other than one plain JSON POST — SSE, persisted operations resolved
 * in `onParams`, graphql-ws with a connection lost mid-mutation, and a plain `envelop()` executor
 * whose context object is reused across executions (a job runner with one service identity).
 * Yoga through the harness; the plain envelop() executors are built here (no Yoga, no HTTP).
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, specifiedRules, subscribe, validate, type ExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';
import { createSchema, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { useIdempotency, type GraphQLIdempotencyContext } from '../../../src/envelop/index.js';
import { as, createTestYoga, onClose, post, redisStore, serveYoga, startYoga } from '../../support/servers/yoga.js';
import { payResolvers, payTypeDefs } from '../../support/servers/payments.js';

describe('Yoga over SSE (Accept: text/event-stream)', () => {
  it('a keyed mutation runs once and its retry is the replay', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({ transport: 'http', typeDefs: payTypeDefs, label: 'sse', resolvers });
    const send = async () => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...as('alice', '"sse-1"') },
        body: JSON.stringify({ query: 'mutation { pay(amount: 1) { id } }' }),
      });
      return response.text();
    };
    const first = await send();
    const retry = await send();
    expect(first).toContain('"p1"');
    expect(retry).toContain('"replayed":true');
    expect(runs.pay).toBe(1);
  });
});

describe('persisted operations resolved in onParams (documentId → query text)', () => {
  it('the same documentId and variables replay; another documentId with the same key is 422', async () => {
    const { runs, resolvers } = payResolvers();
    const documents: Record<string, string> = {
      small: 'mutation ($a: Int!) { pay(amount: $a) { id amount } }',
      large: 'mutation ($a: Int!) { pay(amount: $a) { id amount ref } }',
    };
    const persisted: Plugin = {
      onParams({ params, setParams }) {
        const id = (params.extensions as { documentId?: string } | undefined)?.documentId;
        if (id) setParams({ ...params, query: documents[id] });
      },
    };
    const server = await startYoga({
      transport: 'http',
      typeDefs: payTypeDefs,
      label: 'persisted',
      plugins: [persisted],
      resolvers,
    });
    const send = (documentId: string) =>
      post(server, { extensions: { documentId }, variables: { a: 3 } }, as('alice', '"persisted-1"'));
    const first = await send('small');
    expect(first.json.data).toEqual({ pay: { id: 'p1', amount: 3 } });
    const retry = await send('small');
    expect(retry.json.extensions).toEqual({ idempotency: { replayed: true } });
    const other = await send('large');
    expect(other.json.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_PARAMETER_MISMATCH');
    expect(runs.pay).toBe(1);
  });
});

describe('Yoga graphql-ws (documented integration): the connection dies while the mutation runs', () => {
  it('the key is not left locked, and a retry on a new connection replays (one run)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { runs, resolvers } = payResolvers({ before: () => gate });
    interface WsCtx {
      user?: string;
      idempotency?: GraphQLIdempotencyContext;
    }
    const yoga = createTestYoga<WsCtx>({
      typeDefs: payTypeDefs,
      resolvers,
      idempotency: { store: redisStore('ws'), scope: (ctx) => ctx.user },
    });
    const served = await serveYoga(yoga, {
      graphqlWs: (ctx) => ({ user: (ctx.connectionParams as { user?: string } | undefined)?.user }),
    });
    onClose(served.close);
    const url = served.url.replace('http://', 'ws://');
    const query = 'mutation ($k: String) { pay(amount: 7, idempotencyKey: $k) { id amount } }';
    const send = (client: ReturnType<typeof createClient>) =>
      new Promise<ExecutionResult>((resolve, reject) => {
        let result: ExecutionResult | undefined;
        client.subscribe(
          { query, variables: { k: 'ws-dies-1' } },
          { next: (value) => (result = value as ExecutionResult), error: reject, complete: () => resolve(result!) },
        );
      });

    const first = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { user: 'alice' },
      retryAttempts: 0,
    });
    void send(first).catch(() => undefined);
    await expect.poll(() => runs.pay).toBe(1);
    await first.dispose(); // the connection is gone while the body runs
    release();

    const second = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { user: 'alice' },
      retryAttempts: 0,
    });
    await expect
      .poll(async () => (await send(second)).extensions, { timeout: 3_000 })
      .toEqual({ idempotency: { replayed: true } });
    await second.dispose();
    expect(runs.pay).toBe(1);
  });
});

describe('plain envelop() executor with one context object per worker (a service identity)', () => {
  it('two jobs running at once on one context object: the second is refused with a clear error, never handed the first one’s run context', async () => {
    interface JobCtx {
      userId: string;
      idempotency?: GraphQLIdempotencyContext;
    }
    const gates: (() => void)[] = [];
    const seen: Record<number, { key: string | undefined; ref: string }> = {};
    const schema = createSchema<JobCtx>({
      typeDefs: payTypeDefs,
      resolvers: {
        Mutation: {
          pay: async (_: unknown, { amount }: { amount: number }, ctx: JobCtx) => {
            await new Promise<void>((resolve) => gates.push(resolve)); // load the invoice first
            const ref = ctx.idempotency!.derive('provider'); // then the key handed to the payment provider
            seen[amount] = { key: ctx.idempotency?.key, ref };
            return { id: `p${amount}`, amount, ref };
          },
        },
      },
    });
    const getEnveloped = envelop({
      plugins: [
        useEngine({ parse, validate, execute, subscribe, specifiedRules }),
        useSchema(schema),
        useIdempotency<JobCtx>({ store: redisStore('envelop-shared'), scope: (ctx) => ctx.userId }),
      ],
    });
    const worker: JobCtx = { userId: 'billing' }; // one context for the worker
    const run = async (amount: number, key: string) => {
      const enveloped = getEnveloped(worker);
      const document = enveloped.parse(
        'mutation ($a: Int!, $k: String) { pay(amount: $a, idempotencyKey: $k) { id amount ref } }',
      );
      return (await enveloped.execute({
        schema: enveloped.schema,
        document,
        variableValues: { a: amount, k: key },
        contextValue: await enveloped.contextFactory(),
      })) as ExecutionResult;
    };
    const jobA = run(1, 'job-A');
    await expect.poll(() => gates.length).toBe(1);
    const refused = await run(2, 'job-B');
    expect(refused.errors?.[0]?.message).toContain('cannot share its context object');
    gates.forEach((open) => open());
    await jobA;
    expect(seen[1]?.key).toBe('job-A');
    expect(seen[2]).toBeUndefined();
    // Job B's key was not left locked: run alone, it runs now.
    const jobB = run(2, 'job-B');
    await expect.poll(() => gates.length).toBe(2);
    gates[1]!();
    await jobB;
    expect(seen[2]?.key).toBe('job-B');
    expect(seen[1]?.ref).not.toBe(seen[2]?.ref);
  });
});

describe('plain envelop() executor with a frozen (immutable) context object', () => {
  it('refuses or runs, but leaves no key locked for longer than one lease after the call is gone', async () => {
    interface JobCtx {
      userId: string;
      jobKey: string;
    }
    const { runs, resolvers } = payResolvers();
    const schema = createSchema<JobCtx>({ typeDefs: payTypeDefs, resolvers });
    const getEnveloped = envelop({
      plugins: [
        useEngine({ parse, validate, execute, subscribe, specifiedRules }),
        useSchema(schema),
        useIdempotency<JobCtx>({
          store: redisStore('frozen'),
          scope: (ctx) => ctx.userId,
          getKey: (ctx) => ctx.jobKey,
          lease: 300,
        }),
      ],
    });
    const run = async (context: JobCtx) => {
      const enveloped = getEnveloped(context);
      const document = enveloped.parse('mutation { pay(amount: 4) { id amount } }');
      return (await enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue: await enveloped.contextFactory(),
      })) as ExecutionResult;
    };
    const first = await run(Object.freeze({ userId: 'billing', jobKey: 'frozen-job-1' })).catch(
      (error: unknown) => error,
    );
    expect(first).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 900)); // three leases
    const again = await run({ userId: 'billing', jobKey: 'frozen-job-1' });
    expect(again.errors?.[0]?.extensions?.code).not.toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    expect(again.data).toEqual({ pay: { id: `p${runs.pay}`, amount: 4 } });
    expect(runs.pay).toBe(1);
  });
});
