/**
 * A replay is the stored result in the retry's own envelope (Yoga over `yoga.fetch`, real Redis):
 * headers the retry's own plugins set (on the response, or in the result's `extensions.http` after
 * execution) are the retry's; a header only the first session's plugin added is not replayed; the
 * header a root resolver's error asked for is. Origin: issue #18, December 2026.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useIdempotency } from '../../../src/envelop/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

/** The session's plugin: request id and CSRF token on the response, a phone marker added to the result's headers. */
const sessionPlugin: Plugin = {
  onExecute({ args }) {
    const session = (args.contextValue as { request: Request }).request.headers.get('x-session');
    return {
      onExecuteDone({ result, setResult }) {
        if (session !== 'phone') return;
        const single = result as ExecutionResult;
        const http = (single.extensions?.http ?? {}) as { headers?: Record<string, string> };
        setResult({
          ...single,
          extensions: {
            ...single.extensions,
            http: { ...http, headers: { ...http.headers, 'x-phone-session': 'yes' } },
          },
        });
      },
    };
  },
  onResponse({ request, response }) {
    response.headers.set('x-request-id', request.headers.get('x-request-id') ?? 'none');
    response.headers.set('x-csrf-token', `csrf-of-${request.headers.get('x-session')}`);
  },
};

describe('Yoga: a replay in the retry’s own envelope', () => {
  it('keeps the retry’s request id and CSRF token, drops the first session’s marker, replays the error’s header', async () => {
    const runs = { refuse: 0 };
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: /* GraphQL */ `
          type Query {
            ping: String!
          }
          type Mutation {
            refuse(amount: Int!): String
          }
        `,
        resolvers: {
          Query: { ping: () => 'pong' },
          Mutation: {
            refuse: () => {
              runs.refuse++;
              throw new GraphQLError('Limit exceeded.', {
                extensions: { code: 'FORBIDDEN', http: { status: 403, headers: { 'x-limit': '10' } } },
              });
            },
          },
        },
      }),
      plugins: [
        sessionPlugin,
        useIdempotency({
          store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('yoga-headers') }),
          scope: false,
        }),
      ],
      logging: false,
    });
    const send = (session: string, requestId: string) =>
      yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'k-refuse',
          'x-session': session,
          'x-request-id': requestId,
        },
        body: JSON.stringify({ query: 'mutation { refuse(amount: 5) }' }),
      });

    const first = await send('phone', 'req-phone');
    expect(first.status).toBe(403);
    expect(first.headers.get('x-phone-session')).toBe('yes');
    expect(first.headers.get('x-limit')).toBe('10');

    const retry = await send('laptop', 'req-laptop');
    expect(retry.status).toBe(403);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('x-limit')).toBe('10');
    expect(retry.headers.get('x-request-id')).toBe('req-laptop');
    expect(retry.headers.get('x-csrf-token')).toBe('csrf-of-laptop');
    expect(retry.headers.get('x-phone-session')).toBeNull();
    expect(runs.refuse).toBe(1);
  });
});
