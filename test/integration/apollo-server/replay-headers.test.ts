/**
 * A replay is the stored result in the retry's own envelope (Apollo Server standalone over HTTP, real
 * Redis): the headers the retry's own plugins set (a request id, a CSRF token) are the retry's, a
 * header only the first session's plugins set is not replayed, and what the mutation produced (a
 * header its resolver set, an error's `extensions.http` header) is. Origin: issue #18, December 2026.
 */
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyPlugin } from '../../../src/apollo-server/index.js';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

interface Context {
  session: string;
  /** Set by the session plugin: lets a resolver set a response header, as Apollo's docs suggest. */
  setHeader?: (name: string, value: string) => void;
}

/** The session's plugin: a request id and a CSRF token on every response, a marker only for the phone. */
const sessionPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart({ request, response, contextValue }) {
    contextValue.setHeader = (name, value) => response.http.headers.set(name, value);
    response.http.headers.set('x-request-id', request.http?.headers.get('x-request-id') ?? 'none');
    response.http.headers.set('x-csrf-token', `csrf-of-${contextValue.session}`);
    if (contextValue.session === 'phone') response.http.headers.set('x-phone-session', 'yes');
    return {
      async willSendResponse({ response: sent }) {
        sent.http.headers.set('x-served-for', contextValue.session);
      },
    };
  },
};

describe.skipIf(graphqlMajor !== 16)('Apollo Server: a replay in the retry’s own envelope', () => {
  const runs = { charge: 0, refuse: 0 };
  let apollo: ApolloServer<Context>;
  let url: string;

  beforeAll(async () => {
    apollo = new ApolloServer<Context>({
      typeDefs: /* GraphQL */ `
        type Query {
          ping: String!
        }
        type Mutation {
          charge(amount: Int!): String!
          refuse(amount: Int!): String
        }
      `,
      resolvers: {
        Query: { ping: () => 'pong' },
        Mutation: {
          charge: (_: unknown, { amount }: { amount: number }, context: Context) => {
            runs.charge++;
            context.setHeader?.('x-charge-id', `ch_${runs.charge}`);
            return `charged ${amount}`;
          },
          refuse: () => {
            runs.refuse++;
            // Apollo Server's form of `extensions.http`: its headers are a HeaderMap.
            const extensions: Record<string, unknown> = {
              code: 'FORBIDDEN',
              http: { status: 403, headers: new HeaderMap([['x-limit', '10']]) },
            };
            throw new GraphQLError('Limit exceeded.', { extensions });
          },
        },
      },
      plugins: [
        sessionPlugin,
        idempotencyPlugin<Context>({
          store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('apollo-headers') }),
          scope: false,
        }),
      ],
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    ({ url } = await startStandaloneServer(apollo, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ session: String(req.headers['x-session']) }),
    }));
  });
  afterAll(() => apollo.stop());

  const send = (query: string, session: string, requestId: string, key: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': key,
        'x-session': session,
        'x-request-id': requestId,
      },
      body: JSON.stringify({ query }),
    });

  it('keeps the retry’s request id, CSRF token and plugin headers; replays the header the resolver set', async () => {
    const first = await send('mutation { charge(amount: 5) }', 'phone', 'req-phone', 'k-charge');
    expect(first.headers.get('x-csrf-token')).toBe('csrf-of-phone');
    expect(first.headers.get('x-charge-id')).toBe('ch_1');

    const retry = await send('mutation { charge(amount: 5) }', 'laptop', 'req-laptop', 'k-charge');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toMatchObject({ data: { charge: 'charged 5' } });
    expect(retry.headers.get('x-request-id')).toBe('req-laptop');
    expect(retry.headers.get('x-csrf-token')).toBe('csrf-of-laptop');
    expect(retry.headers.get('x-served-for')).toBe('laptop');
    expect(retry.headers.get('x-phone-session')).toBeNull();
    expect(retry.headers.get('x-charge-id')).toBe('ch_1');
    expect(runs.charge).toBe(1);
  });

  it('replays the status and the header of a stored error, not the first session’s', async () => {
    const first = await send('mutation { refuse(amount: 5) }', 'phone', 'req-phone', 'k-refuse');
    expect(first.status).toBe(403);
    expect(first.headers.get('x-limit')).toBe('10');

    const retry = await send('mutation { refuse(amount: 5) }', 'laptop', 'req-laptop', 'k-refuse');
    expect(retry.status).toBe(403);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('x-limit')).toBe('10');
    expect(retry.headers.get('x-csrf-token')).toBe('csrf-of-laptop');
    expect(retry.headers.get('x-request-id')).toBe('req-laptop');
    expect(retry.headers.get('x-phone-session')).toBeNull();
    expect(runs.refuse).toBe(1);
  });
});
