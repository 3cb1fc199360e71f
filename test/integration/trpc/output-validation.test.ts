import { initTRPC, TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRedisStore } from '../../../src/stores/redis.js';
import { OUTPUT_VALIDATION_FAILED } from '../../../src/trpc/output-validation.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient, rejection } from '../../support/servers/trpc/client.js';
import { createPolicyRouter, type PolicyRouter } from '../../support/servers/trpc/policy-router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

describe("tRPC's output validator (what the middleware recognises)", () => {
  it(`throws INTERNAL_SERVER_ERROR "${OUTPUT_VALIDATION_FAILED}" once the resolver has returned`, async () => {
    const t = initTRPC.create();
    const router = t.router({
      misshaped: t.procedure
        .output(z.object({ id: z.string() }))
        .mutation(() => ({ id: 42 }) as unknown as { id: string }),
    });
    const error = await t
      .createCallerFactory(router)({})
      .misshaped()
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('INTERNAL_SERVER_ERROR');
    expect((error as TRPCError).message).toBe(OUTPUT_VALIDATION_FAILED);
  });
});

describe('idempotency() when the output validator refuses what the procedure returned', () => {
  it('stores the failure and replays it to every retry: the procedure ran once', async () => {
    const app = createPolicyRouter(createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('trpc-output') }));
    const server = await startStandaloneServer(app.router);
    const { client, exchanges } = createTestClient<PolicyRouter>({ url: server.url, user: 'alice' });

    // The test client's retryLink retries a 500 twice, with the same key.
    const error = await rejection(client.misshaped.mutate(undefined, { context: { idempotencyKey: 'shape-1' } }));
    const later = await rejection(client.misshaped.mutate(undefined, { context: { idempotencyKey: 'shape-1' } }));

    expect(app.probe.runs('misshaped')).toBe(1);
    expect(error.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toBe(OUTPUT_VALIDATION_FAILED);
    expect(later.shape).toEqual(error.shape);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [500, null],
      [500, 'true'],
      [500, 'true'],
      [500, 'true'],
      [500, 'true'],
      [500, 'true'],
    ]);
  });
});
