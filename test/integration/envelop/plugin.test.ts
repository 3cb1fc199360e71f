/**
 * useIdempotency on Yoga over HTTP with the Redis store (the payments schema): the key carriers
 * (bare key, header case, argument, input field, several root fields), the fingerprint's view of
 * formatting, `required`, `concurrent: { wait }`, the error policy and `shouldStore`, events. What
 * every GraphQL server shares is in graphql/plugin.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { useIdempotency } from '../../../src/envelop/index.js';
import {
  as,
  post,
  replayOf,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from '../../support/servers/yoga.js';

const CREATE = 'mutation Create($amount: Int!) { createPayment(amount: $amount) { id amount key fence } }';
const start = (options: TestServerOptions = {}): Promise<TestServer> =>
  startTestServer({ label: 'graphql', ...options });

describe('useIdempotency over HTTP with the Redis store', () => {
  it('accepts a bare (unquoted) key and reads the header case-insensitively', async () => {
    const server = await start();
    await post(server, { query: CREATE, variables: { amount: 1 } }, { 'x-user': 'alice', 'IDEMPOTENCY-KEY': 'bare-1' });
    const second = await post(server, { query: CREATE, variables: { amount: 1 } }, as('alice', '"bare-1"'));
    expect(server.runs.createPayment).toBe(1);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('ignores formatting and the operation name in the fingerprint', async () => {
    const server = await start();
    await post(server, { query: CREATE, variables: { amount: 5 } }, as('alice', '"pay-3"'));
    const reformatted = await post(
      server,
      {
        query:
          'mutation Other($amount: Int!) {\n  # same selection\n  createPayment(amount: $amount) { id, amount, key, fence }\n}',
        variables: { amount: 5 },
      },
      as('alice', '"pay-3"'),
    );
    expect(server.runs.createPayment).toBe(1);
    expect(reformatted.headers.get('idempotent-replayed')).toBe('true');
  });

  it('gives all 50 concurrent identical requests the identical result with concurrent: { wait }', async () => {
    let arrived = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start({
      idempotency: { concurrent: { wait: 25_000 } },
      beforeResolve: () => gate,
      wrap: (handler) => (req, res) => {
        if (++arrived === 50) release();
        handler(req, res);
      },
    });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        post(server, { query: CREATE, variables: { amount: 8 } }, as('alice', '"burst-wait"')),
      ),
    );

    expect(server.runs.createPayment).toBe(1);
    const originals = responses.filter((response) => response.headers.get('idempotent-replayed') === null);
    const replays = responses.filter((response) => response.headers.get('idempotent-replayed') === 'true');
    expect(originals).toHaveLength(1);
    expect(replays).toHaveLength(49);
    for (const response of replays) {
      expect(response.status).toBe(200);
      expect(response.text).toBe(replayOf(originals[0]?.text ?? ''));
    }
  });

  it('treats the same key on another mutation field as another record', async () => {
    const server = await start();
    await post(server, { query: CREATE, variables: { amount: 5 } }, as('alice', '"per-op"'));
    const refund = await post(server, { query: 'mutation { refund(amount: 5) { id } }' }, as('alice', '"per-op"'));
    expect(refund.status).toBe(200);
    expect(server.runs).toMatchObject({ createPayment: 1, refund: 1 });
  });

  it('reads the key from a field argument', async () => {
    const server = await start();
    const query =
      'mutation($amount: Int!, $key: String) { createPayment(amount: $amount, idempotencyKey: $key) { id key } }';
    const first = await post(server, { query, variables: { amount: 3, key: 'arg-1' } }, as('alice'));
    const second = await post(server, { query, variables: { amount: 3, key: 'arg-1' } }, as('alice'));

    expect(server.runs.createPayment).toBe(1);
    expect(first.json.data).toEqual({ createPayment: { id: 'createPayment-1', key: 'arg-1' } });
    expect(second.text).toBe(replayOf(first.text));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('reads the key from an input object field', async () => {
    const server = await start();
    const query = 'mutation { transfer(input: { amount: 4, idempotencyKey: "input-1" }) { id key } }';
    const first = await post(server, { query }, as('alice'));
    const second = await post(server, { query }, as('alice'));

    expect(server.runs.transfer).toBe(1);
    expect(first.json.data).toEqual({ transfer: { id: 'transfer-1', key: 'input-1' } });
    expect(second.text).toBe(replayOf(first.text));
  });

  it('accepts a header and an argument that agree, and rejects them with 400 when they differ', async () => {
    const server = await start();
    const query = 'mutation($key: String) { createPayment(amount: 1, idempotencyKey: $key) { id } }';
    const agree = await post(server, { query, variables: { key: 'same' } }, as('alice', '"same"'));
    const differ = await post(server, { query, variables: { key: 'one' } }, as('alice', '"other"'));

    expect(agree.status).toBe(200);
    expect(differ.status).toBe(400);
    expect(differ.json.errors?.map((error) => error.extensions?.code)).toEqual(['IDEMPOTENCY_KEY_INVALID']);
    expect(server.runs.createPayment).toBe(1);
  });

  it('handles several mutation fields as one record, and rejects different argument keys in one operation', async () => {
    const server = await start();
    const both = 'mutation { a: createPayment(amount: 1) { id } refund(amount: 1) { id } }';
    const first = await post(server, { query: both }, as('alice', '"multi"'));
    const second = await post(server, { query: both }, as('alice', '"multi"'));
    expect(server.runs).toMatchObject({ createPayment: 1, refund: 1 });
    expect(second.text).toBe(replayOf(first.text));

    const twoKeys = await post(
      server,
      {
        query:
          'mutation { createPayment(amount: 1, idempotencyKey: "x") { id } transfer(input: { amount: 1, idempotencyKey: "y" }) { id } }',
      },
      as('alice'),
    );
    expect(twoKeys.status).toBe(400);
    expect(twoKeys.json.errors?.map((error) => error.extensions?.code)).toEqual(['IDEMPOTENCY_KEY_INVALID']);
    expect(server.runs.transfer).toBeUndefined();
  });

  it('rejects a mutation without a key with 400 when a key is required, and still lets queries through', async () => {
    const server = await start({ idempotency: { required: true } });
    const mutation = await post(server, { query: CREATE, variables: { amount: 1 } }, as('alice'));
    const query = await post(server, { query: '{ ping }' }, as('alice'));

    expect(mutation.status).toBe(400);
    expect(mutation.json.errors?.map((error) => error.extensions?.code)).toEqual(['IDEMPOTENCY_KEY_REQUIRED']);
    expect(server.runs.createPayment).toBeUndefined();
    expect(query.status).toBe(200);
  });

  it('frees the key after an unexpected resolver error, so a retry runs again', async () => {
    const server = await start();
    const query = 'mutation { failing(amount: 1) { id } }';
    const first = await post(server, { query }, as('alice', '"fails"'));
    const retry = await post(server, { query }, as('alice', '"fails"'));

    expect(server.runs.failing).toBe(2);
    expect(first.json.errors?.map((error) => error.message)).toEqual(['Unexpected error.']);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
  });

  it('stores and replays a coded GraphQLError', async () => {
    const server = await start();
    const query = 'mutation { declined(amount: 1) { id } }';
    const first = await post(server, { query }, as('alice', '"declined"'));
    const retry = await post(server, { query }, as('alice', '"declined"'));

    expect(server.runs.declined).toBe(1);
    expect(first.json).toEqual({
      errors: [
        {
          message: 'Card declined.',
          locations: [{ line: 1, column: 12 }],
          path: ['declined'],
          extensions: { code: 'CARD_DECLINED' },
        },
      ],
      data: { declined: null },
    });
    expect(retry.status).toBe(first.status);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(replayOf(first.text));
  });

  it('lets a user shouldStore override the policy', async () => {
    const server = await start({ idempotency: { shouldStore: () => false } });
    await post(server, { query: CREATE, variables: { amount: 1 } }, as('alice', '"never"'));
    await post(server, { query: CREATE, variables: { amount: 1 } }, as('alice', '"never"'));
    expect(server.runs.createPayment).toBe(2);
  });

  it('falls back to the default policy when a user shouldStore throws: the result is stored, never run twice', async () => {
    const events: string[] = [];
    const server = await start({
      idempotency: {
        shouldStore: () => {
          throw new Error('broken policy');
        },
        onEvent: (event) => events.push(event.type),
      },
    });
    const first = await post(server, { query: CREATE, variables: { amount: 1 } }, as('alice', '"policy"'));
    const retry = await post(server, { query: CREATE, variables: { amount: 1 } }, as('alice', '"policy"'));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(replayOf(first.text));
    expect(server.runs.createPayment).toBe(1);
    expect(events).toContain('policy-error');
  });

  it('stores the result before Yoga hands it over, so a broken onExecutionResult hook of another plugin cannot make the body run twice', async () => {
    let failures = 1;
    const server = await start({
      plugins: [
        {
          onExecutionResult() {
            if (failures-- > 0) throw new Error('a broken plugin');
          },
        },
      ],
    });
    const first = await post(server, { query: CREATE, variables: { amount: 3 } }, as('alice', '"orphan"'));
    const retry = await post(server, { query: CREATE, variables: { amount: 3 } }, as('alice', '"orphan"'));
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(server.runs.createPayment).toBe(1);
  });

  it('reports events through onEvent', async () => {
    const events: string[] = [];
    const server = await start({
      idempotency: { onEvent: (event) => events.push(`${event.type}:${event.operation}`) },
    });
    await post(server, { query: CREATE, variables: { amount: 1 } }, as('alice', '"evt"'));
    await post(server, { query: CREATE, variables: { amount: 1 } }, as('alice', '"evt"'));
    expect(events).toEqual(['executed:createPayment', 'replayed:createPayment']);
  });

  it('requires the scope option', () => {
    expect(() => useIdempotency({} as never)).toThrow(TypeError);
  });
});
