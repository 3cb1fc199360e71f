/** Shopify's `@idempotent(key:)` directive through useIdempotency on Yoga, over real HTTP and real Redis. */
import { describe, expect, it } from 'vitest';
import { post, replayOf, startTestServer, type TestServer } from '../../support/servers/yoga.js';

const start = (): Promise<TestServer> => startTestServer({ label: 'directive', transport: 'fetch' });

const PAY =
  'mutation Pay($amount: Int!, $key: String!) { createPayment(amount: $amount) @idempotent(key: $key) { id amount key } }';
const alice = (headers: Record<string, string> = {}) => ({ 'x-user': 'alice', ...headers });

describe('the @idempotent(key:) directive', () => {
  it('carries the key: the mutation runs once and the repeat replays, marked replayed', async () => {
    const server = await start();
    const first = await post(server, { query: PAY, variables: { amount: 5, key: 'shopify-1' } }, alice());
    expect(first.json.data).toEqual({ createPayment: { id: 'createPayment-1', amount: 5, key: 'shopify-1' } });
    const retry = await post(server, { query: PAY, variables: { amount: 5, key: 'shopify-1' } }, alice());
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(replayOf(first.text));
    const mismatch = await post(server, { query: PAY, variables: { amount: 6, key: 'shopify-1' } }, alice());
    expect(mismatch.status).toBe(422);
    expect(server.runs.createPayment).toBe(1);
  });

  it('accepts a header that agrees with the directive and refuses one that disagrees (400), running nothing', async () => {
    const server = await start();
    const agree = await post(
      server,
      { query: PAY, variables: { amount: 1, key: 'same' } },
      alice({ 'idempotency-key': '"same"' }),
    );
    expect(agree.status).toBe(200);
    const disagree = await post(
      server,
      { query: PAY, variables: { amount: 1, key: 'one' } },
      alice({ 'idempotency-key': '"two"' }),
    );
    expect(disagree.status).toBe(400);
    expect(disagree.json.errors?.[0]).toMatchObject({ extensions: { code: 'IDEMPOTENCY_KEY_INVALID' } });
    expect(disagree.json.errors?.[0]?.message).toContain('@idempotent directive disagree');
    expect(server.runs.createPayment).toBe(1);
  });

  it('refuses a directive that disagrees with the key argument, and root fields with different directive keys', async () => {
    const server = await start();
    const withArgument = await post(
      server,
      { query: 'mutation { createPayment(amount: 1, idempotencyKey: "a") @idempotent(key: "b") { id } }' },
      alice(),
    );
    expect(withArgument.status).toBe(400);
    const twoKeys = await post(
      server,
      {
        query:
          'mutation { createPayment(amount: 1) @idempotent(key: "a") { id } refund(amount: 1) @idempotent(key: "b") { id } }',
      },
      alice(),
    );
    expect(twoKeys.status).toBe(400);
    expect(twoKeys.json.errors?.[0]).toMatchObject({ extensions: { code: 'IDEMPOTENCY_KEY_INVALID' } });
    expect(server.runs.createPayment).toBeUndefined();
  });

  it('is a validation error on a query field or a nested field, never silently ignored', async () => {
    const server = await start();
    const onQuery = await post(server, { query: 'query { ping @idempotent(key: "q") }' }, alice());
    expect(onQuery.status).toBe(400);
    expect(onQuery.json.errors?.[0]?.message).toBe(
      'The @idempotent directive is allowed only on a root field of a mutation.',
    );
    const nested = await post(
      server,
      { query: 'mutation { createPayment(amount: 1) { id @idempotent(key: "n") } }' },
      alice(),
    );
    expect(nested.status).toBe(400);
    expect(nested.json.errors?.[0]?.message).toBe(
      'The @idempotent directive is allowed only on a root field of a mutation.',
    );
    expect(server.runs.createPayment).toBeUndefined();
    expect(server.runs.ping).toBeUndefined();
  });
});
