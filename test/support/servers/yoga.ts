/**
 * The one GraphQL Yoga harness of the tests: Yoga apps with `useIdempotency` on real node:http
 * servers (closed after each test, or by the caller), the payments schema most tests share
 * (`startTestServer`) or a schema of the test's own (`startYoga`), graphql-ws through
 * `serveOverGraphqlWs`, and the request helpers (`post`, `as`, `codes`, `replayOf`). The stores are
 * the run's redis-server (vitest global setup) unless a test passes its own.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import { afterEach } from 'vitest';
import {
  idempotentDirectiveTypeDefs,
  useIdempotency,
  type GraphQLIdempotencyContext,
  type UseIdempotencyOptions,
} from '../../../src/envelop/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../redis/client.js';

export { serveOverGraphqlWs } from './yoga-graphql-ws.js';

type PaymentsContext = YogaInitialContext & { idempotency?: GraphQLIdempotencyContext };

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
  idempotency?: Partial<UseIdempotencyOptions<PaymentsContext>>;
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
  const ran = async (field: string, amount: number, context: PaymentsContext) => {
    runs[field] = (runs[field] ?? 0) + 1;
    await options.beforeResolve?.();
    return { id: `${field}-${runs[field]}`, amount, key: context.idempotency?.key, fence: context.idempotency?.fence };
  };
  const schema = createSchema<PaymentsContext>({
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
  const yoga = createYoga<PaymentsContext>({
    schema,
    logging: false,
    plugins: [
      ...(options.plugins ?? []),
      useIdempotency<PaymentsContext>({ scope: (ctx) => ctx.request.headers.get('x-user'), ...options.idempotency }),
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

/** The body a replay must have: the first body, byte for byte, with `extensions.idempotency.replayed` added. */
export function replayOf(firstText: string): string {
  const first = JSON.parse(firstText) as GraphQLBody;
  return JSON.stringify({ ...first, extensions: { ...first.extensions, idempotency: { replayed: true } } });
}

export type Ctx = YogaInitialContext & { idempotency?: GraphQLIdempotencyContext; user?: string | null };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close().catch(() => undefined)));
});

export function redisStore(label: string) {
  return createRedisStore({ redis: connectRedis(), prefix: uniquePrefix(`adversarial-graphql:${label}`) });
}

export interface YogaTestServer {
  url: string;
  close(): Promise<void>;
}

/** A Yoga app on a real node:http server; `scope` reads the `x-user` header unless overridden. */
export async function startYoga(options: {
  typeDefs: string;
  resolvers: Record<string, unknown>;
  plugins?: Plugin[];
  pluginsAfter?: Plugin[];
  idempotency?: Partial<UseIdempotencyOptions<Ctx>>;
  label?: string;
  yoga?: Record<string, unknown>;
}): Promise<YogaTestServer> {
  const schema = createSchema<Ctx>({ typeDefs: options.typeDefs, resolvers: options.resolvers as never });
  const yoga = createYoga<Ctx>({
    schema,
    logging: false,
    ...(options.yoga ?? {}),
    plugins: [
      ...(options.plugins ?? []),
      useIdempotency<Ctx>({
        store: redisStore(options.label ?? 'yoga'),
        scope: (ctx) => ctx.request.headers.get('x-user'),
        ...options.idempotency,
      }),
      ...(options.pluginsAfter ?? []),
    ],
  });
  const server: Server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  closers.push(close);
  return { url: `http://127.0.0.1:${port}/graphql`, close };
}

export function onClose(close: () => Promise<void>): void {
  closers.push(close);
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** A GraphQL POST over real HTTP. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: JSON.parse(text) as GraphQLBody & GraphQLBody[],
  };
}

export const as = (user: string | undefined, key?: string): Record<string, string> => ({
  ...(user === undefined ? {} : { 'x-user': user }),
  ...(key === undefined ? {} : { 'idempotency-key': key }),
});

export const codes = (body: GraphQLBody): unknown[] | undefined => body.errors?.map((error) => error.extensions?.code);

/** Listens on a free loopback port, closed after the test; returns the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onClose(
    () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** `startYoga`, returning only its `/graphql` URL. */
export async function startYogaUrl(options: Parameters<typeof startYoga>[0]): Promise<string> {
  return (await startYoga(options)).url;
}

/** A schema whose `pay` mutation is a dry run under an operation-level `@dryRun`: `onRun` learns which. */
export const dryRunTypeDefs = /* GraphQL */ `
  directive @dryRun on MUTATION
  type Query {
    ok: Boolean
  }
  type Charge {
    charged: Boolean!
    amount: Int!
  }
  type Mutation {
    pay(amount: Int!): Charge!
  }
`;
export const dryRunPay =
  (onRun: (dryRun: boolean) => void) =>
  (
    _: unknown,
    { amount }: { amount: number },
    _ctx: unknown,
    info: { operation: { directives?: readonly { name: { value: string } }[] } },
  ) => {
    const dryRun = info.operation.directives?.some((d) => d.name.value === 'dryRun') ?? false;
    onRun(dryRun);
    return { charged: !dryRun, amount };
  };

/** Headers of `user` with `key` sent as an RFC 8941 string. */
export const asSfString = (user: string, key?: string): Record<string, string> => ({
  'x-user': user,
  ...(key ? { 'idempotency-key': `"${key}"` } : {}),
});
/** Collects the process's unhandled rejections until the test ends. */
export function watchUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  onClose(async () => void process.off('unhandledRejection', listener));
  return unhandled;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
