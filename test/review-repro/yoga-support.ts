import { createServer } from 'node:http';
import { createSchema, createYoga, type YogaInitialContext } from 'graphql-yoga';
import type { IResolvers } from '@graphql-tools/utils';
import { useIdempotency, type UseIdempotencyOptions } from '../../src/envelop/index.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { listen } from './support.js';

export type Ctx = YogaInitialContext & { user: string | null };

export async function yogaServer(
  typeDefs: string,
  resolvers: IResolvers,
  extra: Partial<UseIdempotencyOptions<Ctx>> = {},
  yogaExtra: Record<string, unknown> = {},
) {
  const yoga = createYoga<Ctx>({
    schema: createSchema<Ctx>({ typeDefs, resolvers: resolvers as never }),
    context: ({ request }) => ({ user: request.headers.get('x-user') }),
    maskedErrors: false,
    plugins: [useIdempotency<Ctx>({ store: createMemoryStore(), scope: (ctx) => ctx.user, ...extra })],
    ...yogaExtra,
  });
  const url = `${await listen(createServer(yoga))}/graphql`;
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  return { url, post, yoga };
}
