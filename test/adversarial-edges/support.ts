/**
 * Hostile review, round 3: helpers to start real servers (Yoga, Apollo, tRPC standalone) over real
 * HTTP with the redis-server of the vitest global setup.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import { afterEach } from 'vitest';
import { useIdempotency, type IdempotencyContext, type UseIdempotencyOptions } from '../../src/graphql/index.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../support/redis-client.js';

export type Ctx = YogaInitialContext & { idempotency?: IdempotencyContext };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close().catch(() => undefined)));
});
export function onClose(close: () => Promise<void>): void {
  closers.push(close);
}

export const redisStore = (label: string) => createRedisStore({ redis: connectRedis(), prefix: uniquePrefix(`round3:${label}`) });

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

export async function startYoga(options: {
  typeDefs: string;
  resolvers: Record<string, unknown>;
  plugins?: Plugin[];
  idempotency?: Partial<UseIdempotencyOptions<Ctx>>;
  label?: string;
}): Promise<string> {
  const yoga = createYoga<Ctx>({
    schema: createSchema<Ctx>({ typeDefs: options.typeDefs, resolvers: options.resolvers as never }),
    logging: false,
    plugins: [
      ...(options.plugins ?? []),
      useIdempotency<Ctx>({
        store: redisStore(options.label ?? 'yoga'),
        scope: (ctx) => ctx.request.headers.get('x-user'),
        ...options.idempotency,
      }),
    ],
  });
  const port = await listen(createServer(yoga));
  return `http://127.0.0.1:${port}/graphql`;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: JSON.parse(text) as GraphQLBody };
}

export const as = (user: string, key?: string): Record<string, string> => ({ 'x-user': user, ...(key ? { 'idempotency-key': `"${key}"` } : {}) });
export const codes = (body: GraphQLBody) => body.errors?.map((error) => error.extensions?.code);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
