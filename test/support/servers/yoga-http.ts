/**
 * Hostile review A: small helpers to start real GraphQL Yoga / Apollo servers over real HTTP with a
 * schema of the test's own, backed by the real redis-server of the vitest global setup.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import { afterEach } from 'vitest';
import { useIdempotency, type IdempotencyContext, type UseIdempotencyOptions } from '../../../src/graphql/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../redis/client.js';

export type Ctx = YogaInitialContext & { idempotency?: IdempotencyContext; user?: string | null };

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
