import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import {
  idempotentDirectiveTypeDefs,
  useIdempotency,
  type IdempotencyContext,
  type UseIdempotencyOptions,
} from '../../../src/graphql/index.js';

type Context = YogaInitialContext & { idempotency?: IdempotencyContext };

const typeDefs = /* GraphQL */ `
  ${idempotentDirectiveTypeDefs}
  type Query {
    ping: String!
  }
  input TransferInput {
    amount: Int!
    idempotencyKey: String
  }
  type Receipt {
    number: String!
  }
  type Payment {
    id: ID!
    amount: Int!
    key: String
    fence: Int
    "Throws: a child field that fails after the root resolver charged."
    receipt: Receipt!
  }
  type Mutation {
    createPayment(amount: Int!, idempotencyKey: String): Payment!
    transfer(input: TransferInput!): Payment!
    refund(amount: Int!): Payment
    failing(amount: Int!): Payment
    declined(amount: Int!): Payment
    forbidden(amount: Int!): Payment
    throttled(amount: Int!): Payment
  }
`;

/** A test GraphQL server: a Yoga app with useIdempotency on a real node:http server. */
export interface TestServer {
  url: string;
  /** How often each resolver ran, by field name. */
  runs: Record<string, number>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Plugin options; `scope` defaults to the `x-user` request header. */
  idempotency?: Partial<UseIdempotencyOptions<Context>>;
  /** Awaited inside every mutation resolver before it returns. */
  beforeResolve?: () => Promise<void>;
  /** Plugins placed before useIdempotency. */
  plugins?: Plugin[];
  /** Wraps the node:http handler, e.g. to drop a response. */
  wrap?: (
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ) => (req: IncomingMessage, res: ServerResponse) => void;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const runs: Record<string, number> = {};
  const ran = async (field: string, amount: number, context: Context) => {
    runs[field] = (runs[field] ?? 0) + 1;
    await options.beforeResolve?.();
    return { id: `${field}-${runs[field]}`, amount, key: context.idempotency?.key, fence: context.idempotency?.fence };
  };
  const schema = createSchema<Context>({
    typeDefs,
    resolvers: {
      Query: {
        ping: () => {
          runs.ping = (runs.ping ?? 0) + 1;
          return 'pong';
        },
      },
      Mutation: {
        createPayment: (_, args: { amount: number }, context) => ran('createPayment', args.amount, context),
        transfer: (_, args: { input: { amount: number } }, context) => ran('transfer', args.input.amount, context),
        refund: (_, args: { amount: number }, context) => ran('refund', args.amount, context),
        failing: async (_, args: { amount: number }, context) => {
          await ran('failing', args.amount, context);
          throw new Error('database connection lost');
        },
        declined: async (_, args: { amount: number }, context) => {
          await ran('declined', args.amount, context);
          throw new GraphQLError('Card declined.', { extensions: { code: 'CARD_DECLINED' } });
        },
        throttled: async (_, args: { amount: number }, context) => {
          await ran('throttled', args.amount, context);
          throw new GraphQLError('Slow down.', { extensions: { code: 'RATE_LIMITED', http: { status: 429 } } });
        },
        forbidden: async (_, args: { amount: number }, context) => {
          await ran('forbidden', args.amount, context);
          throw new GraphQLError('Limit exceeded.', {
            extensions: { code: 'FORBIDDEN', http: { status: 403, headers: { 'x-limit': '10' } } },
          });
        },
      },
      Payment: {
        receipt: () => {
          throw new Error('receipt printer on fire');
        },
      },
    },
  });
  const yoga = createYoga<Context>({
    schema,
    logging: false,
    plugins: [
      ...(options.plugins ?? []),
      useIdempotency<Context>({ scope: (ctx) => ctx.request.headers.get('x-user'), ...options.idempotency }),
    ],
  });
  const handler = options.wrap ? options.wrap(yoga) : yoga;
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    runs,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A GraphQL POST over real HTTP; returns status, headers and the body as text and JSON. */
export async function post(
  url: string,
  body: { query: string; variables?: Record<string, unknown>; operationName?: string },
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as GraphQLBody };
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** The body a replay must have: the first body, byte for byte, with `extensions.idempotency.replayed` added. */
export function replayOf(firstText: string): string {
  const first = JSON.parse(firstText) as GraphQLBody;
  return JSON.stringify({ ...first, extensions: { ...first.extensions, idempotency: { replayed: true } } });
}
