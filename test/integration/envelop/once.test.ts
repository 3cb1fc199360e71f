/**
 * "Once means once" at the GraphQL edges, over real HTTP against real Redis: each test reproduces a
 * path by which an earlier release ran a keyed mutation twice or answered with the wrong result,
 * and counts the body's runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import {
  as,
  post,
  replayOf,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from '../../support/servers/yoga.js';

const start = (options: TestServerOptions = {}): Promise<TestServer> =>
  startTestServer({ label: 'graphql-once', transport: 'fetch', ...options });

describe('a keyed GraphQL mutation runs at most once', () => {
  it('stores the outcome when the first root field returned and a later one threw unexpectedly', async () => {
    const server = await start();
    const query = 'mutation { createPayment(amount: 1) { id } failing(amount: 1) { id } }';
    const first = await post(server, { query }, as('alice', '"two-roots"'));
    const retry = await post(server, { query }, as('alice', '"two-roots"'));
    expect([server.runs.createPayment, server.runs.failing]).toEqual([1, 1]);
    expect(retry.text).toBe(replayOf(first.text));
  });

  it('refuses a keyed mutation with @defer up front (400 IDEMPOTENCY_STREAM_UNSUPPORTED) and runs nothing; unkeyed it streams as usual', async () => {
    const server = await start({ plugins: [useDeferStream()] });
    const query = 'mutation { createPayment(amount: 2) { id ... @defer { amount } } }';
    const keyed = await post(server, { query }, as('alice', '"deferred"'));
    expect(keyed.status).toBe(400);
    expect(keyed.json.errors?.[0]?.extensions).toEqual({ code: 'IDEMPOTENCY_STREAM_UNSUPPORTED' });
    expect(server.runs.createPayment).toBeUndefined();

    const unkeyed = await server.fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed', 'x-user': 'alice' },
      body: JSON.stringify({ query }),
    });
    expect(unkeyed.headers.get('content-type')).toContain('multipart/mixed');
    await unkeyed.text();
    expect(server.runs.createPayment).toBe(1);
  });

  it('fingerprints variables with their defaults: the same key with another default value is 422, not a replay', async () => {
    const server = await start();
    const withDefault = (amount: number) =>
      `mutation Pay($amount: Int! = ${amount}) { createPayment(amount: $amount) { id amount } }`;
    const first = await post(server, { query: withDefault(5) }, as('alice', '"defaults"'));
    expect(first.json.data).toMatchObject({ createPayment: { amount: 5 } });
    const other = await post(server, { query: withDefault(5000) }, as('alice', '"defaults"'));
    expect(other.status).toBe(422);
    expect(other.json.errors?.[0]?.extensions).toEqual({ code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH' });
    const same = await post(server, { query: withDefault(5), variables: { amount: 5 } }, as('alice', '"defaults"'));
    expect(same.headers.get('idempotent-replayed')).toBe('true');
    expect(server.runs.createPayment).toBe(1);
  });

  it('applies the core policy to coded errors: a transient status (429) frees the key, a client error (403) is stored', async () => {
    const server = await start();
    const throttled = 'mutation { throttled(amount: 1) { id } }';
    await post(server, { query: throttled }, as('alice', '"throttled"'));
    const retried = await post(server, { query: throttled }, as('alice', '"throttled"'));
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(server.runs.throttled).toBe(2);

    const forbidden = 'mutation { forbidden(amount: 1) { id } }';
    await post(server, { query: forbidden }, as('alice', '"forbidden"'));
    const replayed = await post(server, { query: forbidden }, as('alice', '"forbidden"'));
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(server.runs.forbidden).toBe(1);
  });

  it('ends the attempt one lease after another plugin’s onExecuteDone threw: the body ran once, the masked result replays, the key is not held', async () => {
    let failures = 1;
    const broken: Plugin = {
      onExecute: () => ({
        onExecuteDone: () => {
          if (failures-- > 0) throw new Error('a broken plugin');
        },
      }),
    };
    const server = await start({ plugins: [broken], idempotency: { lease: 600 } });
    const query = 'mutation { createPayment(amount: 4) { id } }';
    const first = await post(server, { query }, as('alice', '"broken-hook"'));
    expect(first.status).toBeGreaterThanOrEqual(500);
    const meanwhile = await post(server, { query }, as('alice', '"broken-hook"'));
    expect(meanwhile.status).toBe(409); // the attempt still holds its key until the end hook's grace is over
    await sleep(900);
    const retry = await post(server, { query }, as('alice', '"broken-hook"'));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json.data).toEqual({ createPayment: { id: 'createPayment-1' } });
    expect(server.runs.createPayment).toBe(1);
  });
});
