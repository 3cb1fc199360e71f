/**
 * Where useIdempotency finds the key header in an Envelop context: Node's IncomingMessage at
 * `context.req` (Envelop's README pattern, `getEnveloped({ req })` on node:http), bare headers at
 * `context.headers`, and refusals for a request it cannot read or a WebSocket upgrade request.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, specifiedRules, subscribe, validate, type ExecutionResult } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useIdempotency } from '../../../src/envelop/index.js';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { listen } from '../../support/servers/yoga.js';

function payments<TContext>(scope: (context: TContext) => string | null | undefined) {
  const runs = { pay: 0 };
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type Query {
        ok: Boolean!
      }
      type Mutation {
        pay(amount: Int!, idempotencyKey: String): Int!
      }
    `,
    resolvers: { Query: { ok: () => true }, Mutation: { pay: () => ++runs.pay } },
  });
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, specifiedRules, execute, subscribe }),
      useSchema(schema),
      useIdempotency<TContext>({ store: createMemoryStore(), scope }),
    ],
  });
  /** Runs `query` through the enveloped pipeline with `context` as the initial context. */
  const run = async (context: object, query = 'mutation { pay(amount: 5) }') => {
    const enveloped = getEnveloped(context);
    const document = enveloped.parse(query);
    const contextValue = await enveloped.contextFactory();
    return (await enveloped.execute({ document, schema: enveloped.schema, contextValue })) as ExecutionResult;
  };
  return { runs, getEnveloped, run };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('Envelop on node:http with getEnveloped({ req })', () => {
  it('the Idempotency-Key header sent twice runs the mutation once; the retry gets the stored result', async () => {
    const { runs, run } = payments<{ req: IncomingMessage }>(({ req }) => req.headers['x-user'] as string | undefined);
    const server = createServer(async (req, res) => {
      const { query } = JSON.parse(await readBody(req)) as { query: string };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(await run({ req }, query)));
    });
    const url = `http://127.0.0.1:${await listen(server)}`;
    const send = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'alice', 'Idempotency-Key': '"pay-1"' },
        body: JSON.stringify({ query: 'mutation { pay(amount: 5) }' }),
      }).then((response) => response.json() as Promise<ExecutionResult>);
    const first = await send();
    const second = await send();
    expect(first.data).toEqual({ pay: 1 });
    expect(second).toMatchObject({ data: { pay: 1 }, extensions: { idempotency: { replayed: true } } });
    expect(runs.pay).toBe(1);
  });
});

describe('other context shapes', () => {
  it('bare headers at context.headers (a plain object, any casing) key the mutation: one run', async () => {
    const { runs, run } = payments<{ user: string }>((context) => context.user);
    const context = () => ({ user: 'alice', headers: { 'Idempotency-Key': '"h-1"' } });
    const results = [await run(context()), await run(context())];
    expect(results.map((result) => result.data)).toEqual([{ pay: 1 }, { pay: 1 }]);
    expect(runs.pay).toBe(1);
  });

  it('a context.request the plugin cannot read refuses the mutation with an error naming the fix, nothing runs', async () => {
    const { runs, run } = payments<{ user: string }>((context) => context.user);
    const outcome = await run({ user: 'alice', request: { url: '/graphql' } }).then(
      (result) => result.errors?.[0]?.message,
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/cannot read the "Idempotency-Key" header from context\.request.*context\.req.*getKey/);
    expect(runs.pay).toBe(0);
  });

  it('a WebSocket upgrade request at context.req carrying the key header is refused (the connection’s, not one operation’s); without it, the argument keys the mutation', async () => {
    const { runs, run } = payments<{ user: string }>((context) => context.user);
    const upgrade = (headers: Record<string, string>) => ({
      headers: { upgrade: 'websocket', connection: 'Upgrade', ...headers },
      headersDistinct: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    });
    const refused = await run({ user: 'alice', req: upgrade({ 'idempotency-key': '"ws-1"' }) });
    expect(refused.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(runs.pay).toBe(0);
    const keyed = 'mutation { pay(amount: 5, idempotencyKey: "ws-arg") }';
    const results = [
      await run({ user: 'alice', req: upgrade({}) }, keyed),
      await run({ user: 'alice', req: upgrade({}) }, keyed),
    ];
    expect(results.map((result) => result.data)).toEqual([{ pay: 1 }, { pay: 1 }]);
    expect(runs.pay).toBe(1);
  });
});
