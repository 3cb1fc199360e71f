/**
 * Hostile reviews, rounds 3 and 4: helpers to start real servers over real HTTP with the
 * redis-server of the vitest global setup. The GraphQL ones are those of `test/adversarial-graphql`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onClose, startYoga as startYogaServer } from './yoga-http.js';

export { codes, onClose, post, redisStore, type GraphQLBody } from './yoga-http.js';

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

/** A Yoga app with `useIdempotency` (scope: the `x-user` header) on a real server; returns its `/graphql` URL. */
export async function startYoga(options: Parameters<typeof startYogaServer>[0]): Promise<string> {
  return (await startYogaServer(options)).url;
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
export const as = (user: string, key?: string): Record<string, string> => ({
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
