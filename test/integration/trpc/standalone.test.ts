import { beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient, rejection } from '../../support/servers/trpc/client.js';
import { createTestRouter, type TestRouter } from '../../support/servers/trpc/router.js';
import { startStandaloneServer, type TestServer } from '../../support/servers/trpc/servers.js';

const redis = connectRedis();

let app: ReturnType<typeof createTestRouter>;
let server: TestServer;
beforeEach(async () => {
  app = createTestRouter({ store: createRedisStore({ redis, prefix: uniquePrefix('trpc-standalone') }) });
  server = await startStandaloneServer(app.router);
});

const clientFor = (user = 'alice') => createTestClient<TestRouter>({ url: server.url, user });

describe('idempotency() over the standalone adapter, with Redis', () => {
  it('runs a duplicate call once and replays the output with its types and the replayed header', async () => {
    const { client, exchanges } = clientFor();
    const first = await client.pay.mutate({ amount: 42 }, { context: { idempotencyKey: 'order-1' } });
    const second = await client.pay.mutate({ amount: 42 }, { context: { idempotencyKey: 'order-1' } });

    expect(app.probe.runs('pay')).toBe(1);
    expect(second).toEqual(first);
    expect(second.chargedAt).toBeInstanceOf(Date);
    expect(second.chargedAt.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(second.ledger).toEqual(new Map([[42, 'charged']]));
    expect(second.cents).toBe(4200n);
    expect(first.fence).toBeTypeOf('number');
    expect(
      exchanges.map((exchange) => [exchange.key, exchange.status, exchange.headers?.get('idempotent-replayed')]),
    ).toEqual([
      ['"order-1"', 200, null],
      ['"order-1"', 200, 'true'],
    ]);
  });

  it('gives every call its own key when the caller passes none', async () => {
    const { client, exchanges } = clientFor();
    await client.pay.mutate({ amount: 1 });
    await client.pay.mutate({ amount: 1 });

    expect(app.probe.runs('pay')).toBe(2);
    const [first, second] = exchanges.map((exchange) => exchange.key);
    expect(first).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(second).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(first).not.toBe(second);
  });

  it('runs once when the response is dropped and retryLink retries with the same key', async () => {
    const { client, exchanges } = clientFor();
    server.dropResponses('pay', 2);
    const result = await client.pay.mutate({ amount: 7 });

    expect(app.probe.runs('pay')).toBe(1);
    expect(exchanges).toHaveLength(3);
    expect(exchanges.map((exchange) => exchange.status)).toEqual([undefined, undefined, 200]);
    expect(new Set(exchanges.map((exchange) => exchange.key)).size).toBe(1);
    expect(exchanges[2]?.headers?.get('idempotent-replayed')).toBe('true');
    expect(result.chargedAt).toBeInstanceOf(Date);
    expect(result.chargedAt.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(result.ledger).toEqual(new Map([[7, 'charged']]));
    expect(result.cents).toBe(700n);
  });

  it('answers a concurrent duplicate with 409 CONFLICT and Retry-After, and runs once', async () => {
    const { client, exchanges } = clientFor();
    const held = app.probe.hold();
    const first = client.slow.mutate({ amount: 5 }, { context: { idempotencyKey: 'slow-1' } });
    await held.started;

    const error = await rejection(client.slow.mutate({ amount: 5 }, { context: { idempotencyKey: 'slow-1' } }));
    held.release();
    await first;

    expect(app.probe.runs('slow')).toBe(1);
    expect(error.data?.code).toBe('CONFLICT');
    expect(error.data?.httpStatus).toBe(409);
    expect(error.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', retryAfter: 1 });
    const conflict = exchanges.find((exchange) => exchange.status === 409);
    expect(conflict?.headers?.get('retry-after')).toBe('1');
  });

  it('rejects the same key with other input with 422 UNPROCESSABLE_CONTENT and runs nothing more', async () => {
    const { client, exchanges } = clientFor();
    await client.pay.mutate({ amount: 10 }, { context: { idempotencyKey: 'order-2' } });
    const error = await rejection(client.pay.mutate({ amount: 11 }, { context: { idempotencyKey: 'order-2' } }));

    expect(app.probe.runs('pay')).toBe(1);
    expect(error.data?.code).toBe('UNPROCESSABLE_CONTENT');
    expect(error.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH' });
    expect(exchanges.at(-1)?.status).toBe(422);
  });

  it('keeps users apart: the same key of two users is two records', async () => {
    const alice = clientFor('alice');
    const bob = clientFor('bob');
    const forAlice = await alice.client.pay.mutate({ amount: 3 }, { context: { idempotencyKey: 'shared' } });
    const forBob = await bob.client.pay.mutate({ amount: 3 }, { context: { idempotencyKey: 'shared' } });
    const aliceAgain = await alice.client.pay.mutate({ amount: 3 }, { context: { idempotencyKey: 'shared' } });

    expect(app.probe.runs('pay')).toBe(2);
    expect(forAlice.chargedAt.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(forBob.chargedAt.toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(aliceAgain).toEqual(forAlice);
    expect(bob.exchanges[0]?.headers?.get('idempotent-replayed')).toBeNull();
  });

  it('replays a procedure that returns undefined', async () => {
    const { client, exchanges } = clientFor();
    const first = await client.nothing.mutate(undefined, { context: { idempotencyKey: 'void-1' } });
    const second = await client.nothing.mutate(undefined, { context: { idempotencyKey: 'void-1' } });

    expect(app.probe.runs('nothing')).toBe(1);
    expect(first).toBeUndefined();
    expect(second).toBeUndefined();
    expect(exchanges[1]?.headers?.get('idempotent-replayed')).toBe('true');
  });

  it('refuses a keyed call with 401 UNAUTHORIZED when scope finds no caller, and runs nothing', async () => {
    const anonymous = createTestClient<TestRouter>({ url: server.url });
    const refused = await rejection(
      anonymous.client.pay.mutate({ amount: 9 }, { context: { idempotencyKey: 'no-user' } }),
    );

    expect(app.probe.runs('pay')).toBe(0);
    expect(refused.data?.code).toBe('UNAUTHORIZED');
    expect(refused.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_SCOPE_MISSING' });
    expect(anonymous.exchanges.map((exchange) => exchange.status)).toEqual([401]);
  });

  it('rejects malformed keys with 400 BAD_REQUEST and runs nothing', async () => {
    const { client, exchanges } = clientFor();
    const tooLong = await rejection(client.pay.mutate({ amount: 1 }, { context: { idempotencyKey: 'k'.repeat(256) } }));
    const notAString = await rejection(client.pay.mutate({ amount: 1, idempotencyKey: 42 }));
    const disagreeing = await rejection(
      client.pay.mutate({ amount: 1, idempotencyKey: 'in-input' }, { context: { idempotencyKey: 'in-header' } }),
    );

    expect(app.probe.runs('pay')).toBe(0);
    for (const error of [tooLong, notAString, disagreeing]) {
      expect(error.data?.code).toBe('BAD_REQUEST');
      expect(error.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_KEY_INVALID' });
    }
    expect(exchanges.map((exchange) => exchange.status)).toEqual([400, 400, 400]);
  });

  it('accepts the key in the input field, agreeing with the header', async () => {
    const { client } = clientFor();
    await client.pay.mutate({ amount: 2, idempotencyKey: 'field-1' }, { context: { idempotencyKey: 'field-1' } });
    const replay = await client.pay.mutate(
      { amount: 2, idempotencyKey: 'field-1' },
      { context: { idempotencyKey: 'field-1' } },
    );

    expect(app.probe.runs('pay')).toBe(1);
    expect(replay.amount).toBe(2);
  });

  it('rejects a keyless call of a procedure whose meta requires a key, and runs a keyed one', async () => {
    const { client, exchanges } = clientFor();
    // Without idempotencyLink, no key is sent.
    const keyless = await fetch(`${server.url}/strict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const body = (await keyless.json()) as { error: { json: { data: { code: string; idempotency: unknown } } } };
    await client.strict.mutate(undefined);

    expect(keyless.status).toBe(400);
    expect(body.error.json.data).toMatchObject({
      code: 'BAD_REQUEST',
      idempotency: { code: 'IDEMPOTENCY_KEY_REQUIRED' },
    });
    expect(exchanges[0]?.status).toBe(200);
    expect(app.probe.runs('strict')).toBe(1);
  });

  it('leaves queries and procedures with `idempotency: false` meta alone', async () => {
    const { client } = clientFor();
    await client.unguarded.mutate(undefined, { context: { idempotencyKey: 'off-1' } });
    const second = await client.unguarded.mutate(undefined, { context: { idempotencyKey: 'off-1' } });
    const keyed = { headers: { 'idempotency-key': '"query-1"', 'x-user': 'alice' } };
    await fetch(`${server.url}/balance`, keyed);
    const query = await fetch(`${server.url}/balance`, keyed);

    expect(second).toBe(2);
    expect(app.probe.runs('unguarded')).toBe(2);
    expect(app.probe.runs('balance')).toBe(2);
    expect(query.status).toBe(200);
    expect(query.headers.get('idempotent-replayed')).toBeNull();
  });
});
