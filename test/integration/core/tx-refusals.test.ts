/**
 * `ctx.idempotency.tx()` where no transaction can protect the writes: refused with a typed error
 * that names the fix, never opened unprotected (issue #19).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  IdempotencyTransactionUnavailableError,
  type IdempotencyStore,
  type RunContext,
} from '../../../src/index.js';
import { redisStore } from '../../support/servers/trpc/servers.js';

const call = (store: IdempotencyStore, run: (context: RunContext) => Promise<unknown>, options = {}) =>
  createIdempotencyEngine({ store, ...options }).execute({
    scope: 'u',
    operation: 'pay',
    key: randomUUID(),
    input: {},
    run,
  });

describe('tx() refusals', () => {
  it.each([
    ['memory', () => createMemoryStore()],
    ['Redis', () => redisStore('tx-refusal')],
  ])('on the %s store: IDEMPOTENCY_TRANSACTION_UNAVAILABLE (500) naming createPostgresStore', async (_, make) => {
    const refused = await call(make(), (context) => context.tx()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(IdempotencyTransactionUnavailableError);
    expect(refused).toMatchObject({
      reason: 'unsupported-store',
      status: 500,
      code: 'IDEMPOTENCY_TRANSACTION_UNAVAILABLE',
    });
    expect((refused as Error).message).toMatch(/createPostgresStore/);
  });

  it('failMode open with the store down: refused (503), the writes would commit without a record', async () => {
    const down: IdempotencyStore = {
      begin: () => Promise.reject(new Error('down')),
      extend: () => Promise.reject(new Error('down')),
      complete: () => Promise.reject(new Error('down')),
      release: () => Promise.reject(new Error('down')),
      openTransaction: () => Promise.reject(new Error('must not be opened')),
    };
    const refused = await call(down, (context) => context.tx(), { failMode: 'open' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ reason: 'store-unavailable', status: 503 });
  });

  it('after the attempt ended: refused (`ended`)', async () => {
    let context!: RunContext;
    await call(createMemoryStore(), async (given) => (context = given));
    await expect(context.tx()).rejects.toMatchObject({ reason: 'ended' });
  });
});
