/**
 * Attack 01: "any Envelop server" over HTTP, written as Envelop's own README shows it:
 * `getEnveloped({ req })` in a node:http handler. The client sends an Idempotency-Key header.
 * Promise: the keyed mutation runs at most once, or the plugin refuses loudly (it can't see the header).
 */
import { createServer } from 'node:http';
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, specifiedRules, subscribe, validate } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useIdempotency } from '../../src/envelop/index.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { listen, readBody } from './support.js';

describe('attack 01: Envelop on node:http, context { req }', () => {
  it('a keyed mutation sent twice with the same Idempotency-Key header runs once (or is refused)', async () => {
    let runs = 0;
    const schema = createSchema({
      typeDefs: /* GraphQL */ `
        type Query { ok: Boolean! }
        type Mutation { pay(amount: Int!): Int! }
      `,
      resolvers: { Query: { ok: () => true }, Mutation: { pay: () => ++runs } },
    });
    const getEnveloped = envelop({
      plugins: [
        useEngine({ parse, validate, specifiedRules, execute, subscribe }),
        useSchema(schema),
        useIdempotency<{ req: import('node:http').IncomingMessage }>({
          store: createMemoryStore(),
          scope: ({ req }) => (req.headers['x-user'] as string | undefined) ?? null,
        }),
      ],
    });
    const server = createServer(async (req, res) => {
      const { parse, validate, contextFactory, execute, schema } = getEnveloped({ req });
      const { query, variables } = JSON.parse(await readBody(req));
      const document = parse(query);
      const errors = validate(schema, document);
      if (errors.length) {
        res.end(JSON.stringify({ errors }));
        return;
      }
      const contextValue = await contextFactory();
      const result = await execute({ document, schema, variableValues: variables, contextValue });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(result));
    });
    const url = await listen(server);
    const send = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'alice', 'Idempotency-Key': '"pay-1"' },
        body: JSON.stringify({ query: 'mutation { pay(amount: 5) }' }),
      }).then((r) => r.json() as Promise<{ data?: { pay: number }; errors?: { extensions?: { code?: string } }[] }>);

    const first = await send();
    const second = await send();
    // Either the header was honoured (one run, replayed) or the request was refused loudly.
    const refusedLoudly = first.errors !== undefined && first.data === undefined;
    if (!refusedLoudly) {
      expect(second).toMatchObject({ data: { pay: 1 } });
      expect(runs).toBe(1);
    }
  });
});
