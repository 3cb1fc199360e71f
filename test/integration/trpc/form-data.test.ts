import { beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient, rejection } from '../../support/servers/trpc/client.js';
import { createTestRouter, type TestRouter } from '../../support/servers/trpc/router.js';
import { startStandaloneServer, type TestServer } from '../../support/servers/trpc/servers.js';

let app: ReturnType<typeof createTestRouter>;
let server: TestServer;
beforeAll(async () => {
  app = createTestRouter({ store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('trpc-form') }) });
  server = await startStandaloneServer(app.router);
});

/** A form with one file; every call builds a new FormData and File, as a browser would on each submit. */
function form(content: string, fields: Record<string, string> = {}): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  data.append('file', new File([content], 'receipt.txt', { type: 'text/plain' }));
  return data;
}

describe('idempotency() with FormData input (httpLink sends it as multipart/form-data)', () => {
  it('fingerprints the form by content: another file under the same key is 422, the same form again is a replay', async () => {
    const { client, exchanges } = createTestClient<TestRouter>({ url: server.url, user: 'alice' });
    const first = await client.upload.mutate(form('alpha'), { context: { idempotencyKey: 'form-1' } });
    const otherFile = await rejection(client.upload.mutate(form('bravo'), { context: { idempotencyKey: 'form-1' } }));
    const again = await client.upload.mutate(form('alpha'), { context: { idempotencyKey: 'form-1' } });

    expect(app.probe.runs('upload')).toBe(1);
    expect(first).toEqual({ run: 1, name: 'receipt.txt', content: 'alpha' });
    expect(otherFile.data?.code).toBe('UNPROCESSABLE_CONTENT');
    expect(again).toEqual(first);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [200, null],
      [422, null],
      [200, 'true'],
    ]);
  });

  it('reads the key from the form field `idempotencyKey` when no header carries it', async () => {
    const before = app.probe.runs('upload');
    const post = () =>
      fetch(`${server.url}/upload`, {
        method: 'POST',
        headers: { 'x-user': 'bob' },
        body: form('charlie', { idempotencyKey: 'form-field-1' }),
      });
    const first = await post();
    const second = await post();

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.text()).toBe(await first.text());
    expect(app.probe.runs('upload')).toBe(before + 1);
  });

  it('refuses a form that sends the field `idempotencyKey` twice (BAD_REQUEST, like a header sent twice): nothing runs', async () => {
    const before = app.probe.runs('upload');
    const data = form('delta');
    data.append('idempotencyKey', 'form-twice-a');
    data.append('idempotencyKey', 'form-twice-b');
    const response = await fetch(`${server.url}/upload`, {
      method: 'POST',
      headers: { 'x-user': 'carol' },
      body: data,
    });
    const body = (await response.json()) as { error?: { json?: { data?: { idempotency?: unknown } } } };

    expect(response.status).toBe(400);
    expect(body.error?.json?.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_KEY_INVALID' });
    expect(app.probe.runs('upload')).toBe(before);
  });
});
