import superjson from 'superjson';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient, rejection } from '../../support/servers/trpc/client.js';
import { createPolicyRouter, type PolicyRouter } from '../../support/servers/trpc/policy-router.js';
import { startStandaloneServer, type TestServer } from '../../support/servers/trpc/servers.js';
import { registerZodError } from '../../support/servers/trpc/zod-serializer.js';

registerZodError();

let app: ReturnType<typeof createPolicyRouter>;
let server: TestServer;
beforeAll(async () => {
  app = createPolicyRouter(createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('trpc-replay') }));
  server = await startStandaloneServer(app.router);
});

/** One raw call: the exact bytes tRPC answers with (superjson on the wire), and whether it was a replay. */
async function rawCall(path: string, input: unknown, key: string) {
  const response = await fetch(`${server.url}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': `"${key}"` },
    body: JSON.stringify(superjson.serialize(input)),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: await response.text(),
  };
}

const badTransfer = { amount: -5, note: 'far too long' };

describe('a replayed error is the original, byte for byte (production mode: no stack is sent)', () => {
  it('over raw HTTP: an input-validation error (never stored: validated again), whose formatter output comes from the ZodError cause', async () => {
    const first = await rawCall('transfer', badTransfer, 'raw-zod-1');
    const second = await rawCall('transfer', badTransfer, 'raw-zod-1');

    expect(app.probe.runs('transfer')).toBe(0);
    expect([first.status, first.replayed, second.status, second.replayed]).toEqual([400, null, 400, null]);
    expect(second.body).toBe(first.body);
    const shape = (superjson.deserialize(JSON.parse(first.body).error) as { data: { zodError: unknown } }).data;
    expect(shape.zodError).toEqual({
      formErrors: [],
      fieldErrors: {
        amount: ['Too small: expected number to be >0'],
        note: ['Too big: expected string to have <=5 characters'],
      },
    });
  });

  it('over raw HTTP: an error whose cause carries its own properties', async () => {
    const first = await rawCall('locked', undefined, 'raw-locked-1');
    const second = await rawCall('locked', undefined, 'raw-locked-1');

    expect([first.status, first.replayed, second.status, second.replayed]).toEqual([403, null, 403, 'true']);
    expect(second.body).toBe(first.body);
    expect(first.body).toContain('acct-');
  });

  it('through @trpc/client: the replayed TRPCClientError has the same message, shape and data', async () => {
    const { client, exchanges } = createTestClient<PolicyRouter>({ url: server.url, user: 'alice' });
    const first = await rejection(client.locked.mutate(undefined, { context: { idempotencyKey: 'client-locked-1' } }));
    const second = await rejection(client.locked.mutate(undefined, { context: { idempotencyKey: 'client-locked-1' } }));

    expect(first.data?.ledger).not.toBeNull();
    expect([second.message, second.shape, second.data]).toEqual([first.message, first.shape, first.data]);
    expect(exchanges.map((exchange) => exchange.headers?.get('idempotent-replayed'))).toEqual([null, 'true']);
  });
});

describe('an input-validation failure (the procedure never ran) under a key', () => {
  it('stores nothing (Stripe): a repeat is validated again, the corrected input runs under the same key', async () => {
    const { client, exchanges } = createTestClient<PolicyRouter>({ url: server.url, user: 'bob' });
    const invalid = await rejection(client.transfer.mutate(badTransfer, { context: { idempotencyKey: 'fix-1' } }));
    const repeated = await rejection(client.transfer.mutate(badTransfer, { context: { idempotencyKey: 'fix-1' } }));
    const corrected = await client.transfer.mutate({ amount: 5, note: 'ok' }, { context: { idempotencyKey: 'fix-1' } });
    const replay = await client.transfer.mutate({ amount: 5, note: 'ok' }, { context: { idempotencyKey: 'fix-1' } });

    expect([invalid.data?.code, repeated.data?.code]).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    expect([corrected, replay]).toEqual([
      { run: 1, amount: 5 },
      { run: 1, amount: 5 },
    ]);
    expect(app.probe.runs('transfer')).toBe(1);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [400, null],
      [400, null],
      [200, null],
      [200, 'true'],
    ]);
  });
});
