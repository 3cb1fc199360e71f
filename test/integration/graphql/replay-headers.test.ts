/**
 * A replay is the stored result in the retry's own envelope, on each GraphQL server through its
 * harness (Yoga in-process, Apollo Server standalone over HTTP; real Redis): the headers the retry's
 * own plugins set (a request id, a CSRF token) are the retry's, a header only the first session's
 * plugin added is not replayed, and what the mutation produced (an error's `extensions.http` header,
 * a header an Apollo resolver set) is. Origin: issue #18, December 2026.
 */
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { startApollo, type Context as ApolloContext } from '../../support/servers/apollo-server.js';
import { post } from '../../support/servers/graphql-requests.js';
import { onClose, redisStore, startYoga } from '../../support/servers/yoga.js';

const typeDefs = /* GraphQL */ `
  type Query {
    ping: String!
  }
  type Mutation {
    charge(amount: Int!): String!
    "Throws a coded error with HTTP status 403 and an x-limit header."
    refuse(amount: Int!): String
  }
`;

/** The resolvers; `httpHeaders` is the server's form of `extensions.http.headers`, `setHeader` sets a response header. */
function resolvers(httpHeaders: (headers: Record<string, string>) => unknown) {
  const runs = { charge: 0, refuse: 0 };
  return {
    runs,
    resolvers: {
      Query: { ping: () => 'pong' },
      Mutation: {
        charge: (_: unknown, { amount }: { amount: number }, context: { setHeader?: Session['setHeader'] }) => {
          runs.charge++;
          context.setHeader?.('x-charge-id', `ch_${runs.charge}`);
          return `charged ${amount}`;
        },
        refuse: () => {
          runs.refuse++;
          const extensions: Record<string, unknown> = {
            code: 'FORBIDDEN',
            http: { status: 403, headers: httpHeaders({ 'x-limit': '10' }) },
          };
          throw new GraphQLError('Limit exceeded.', { extensions });
        },
      },
    },
  };
}

/** A server with the session's plugin: `send` posts one operation as a session (with its request id) under `key`. */
interface SessionServer {
  send(query: string, session: string, requestId: string, key: string): ReturnType<typeof post>;
  runs: { charge: number; refuse: number };
}

const sessionHeaders = (session: string, requestId: string, key: string) => ({
  'idempotency-key': key,
  'x-session': session,
  'x-request-id': requestId,
});

/** Yoga's session plugin: request id and CSRF token on the response, a phone marker added to the result's headers. */
const yogaSession: Plugin = {
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

async function startYogaSessions(): Promise<SessionServer> {
  const { runs, resolvers: yogaResolvers } = resolvers((headers) => headers);
  const server = await startYoga({
    typeDefs,
    resolvers: yogaResolvers,
    plugins: [yogaSession],
    idempotency: { scope: false },
    label: 'yoga-headers',
  });
  return {
    runs,
    send: (query, session, requestId, key) => post(server, { query }, sessionHeaders(session, requestId, key)),
  };
}

type Session = ApolloContext & {
  session: string;
  /** Set by the session plugin: lets a resolver set a response header, as Apollo's docs suggest. */
  setHeader?: (name: string, value: string) => void;
};

/** Apollo Server's session plugin: a request id and a CSRF token on every response, a marker only for the phone. */
const apolloSession: ApolloServerPlugin<Session> = {
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

async function startApolloSessions(): Promise<SessionServer> {
  // Apollo Server's form of `extensions.http`: its headers are a HeaderMap.
  const { runs, resolvers: apolloResolvers } = resolvers((headers) => new HeaderMap(Object.entries(headers)));
  const server = await startApollo<Session>({
    typeDefs,
    resolvers: apolloResolvers,
    pluginsBefore: [apolloSession],
    idempotency: { scope: false, store: redisStore('apollo-headers') },
    context: (headers) => ({ session: String(headers['x-session']) }),
  });
  onClose(server.close);
  return {
    runs,
    send: (query, session, requestId, key) => post(server.url, { query }, sessionHeaders(session, requestId, key)),
  };
}

// Apollo Server 5 supports graphql 16 only: its plugin refuses to start on graphql 17.
const servers: [string, () => Promise<SessionServer>][] = [
  ['Yoga', startYogaSessions],
  ...(graphqlMajor === 16 ? [['Apollo Server', startApolloSessions] as [string, () => Promise<SessionServer>]] : []),
];

describe.each(servers)('%s: a replay in the retry’s own envelope', (_, start) => {
  it('replays the status and the header of a stored error; the request id and CSRF token are the retry’s, the first session’s marker is not replayed', async () => {
    const server = await start();
    const first = await server.send('mutation { refuse(amount: 5) }', 'phone', 'req-phone', 'k-refuse');
    expect(first.status).toBe(403);
    expect(first.headers.get('x-phone-session')).toBe('yes');
    expect(first.headers.get('x-limit')).toBe('10');

    const retry = await server.send('mutation { refuse(amount: 5) }', 'laptop', 'req-laptop', 'k-refuse');
    expect(retry.status).toBe(403);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('x-limit')).toBe('10');
    expect(retry.headers.get('x-request-id')).toBe('req-laptop');
    expect(retry.headers.get('x-csrf-token')).toBe('csrf-of-laptop');
    expect(retry.headers.get('x-phone-session')).toBeNull();
    expect(server.runs.refuse).toBe(1);
  });
});

describe.skipIf(graphqlMajor !== 16)('Apollo Server: a replay in the retry’s own envelope', () => {
  it('keeps the retry’s request id, CSRF token and plugin headers; replays the header the resolver set', async () => {
    const server = await startApolloSessions();
    const first = await server.send('mutation { charge(amount: 5) }', 'phone', 'req-phone', 'k-charge');
    expect(first.headers.get('x-csrf-token')).toBe('csrf-of-phone');
    expect(first.headers.get('x-charge-id')).toBe('ch_1');

    const retry = await server.send('mutation { charge(amount: 5) }', 'laptop', 'req-laptop', 'k-charge');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json).toMatchObject({ data: { charge: 'charged 5' } });
    expect(retry.headers.get('x-request-id')).toBe('req-laptop');
    expect(retry.headers.get('x-csrf-token')).toBe('csrf-of-laptop');
    expect(retry.headers.get('x-served-for')).toBe('laptop');
    expect(retry.headers.get('x-phone-session')).toBeNull();
    expect(retry.headers.get('x-charge-id')).toBe('ch_1');
    expect(server.runs.charge).toBe(1);
  });
});
