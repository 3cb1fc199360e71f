// Origin: an adversarial review of the store clients and the CLI.
// The operators' CLI answers "no such record" (exit 3) only with a hint for an address it can tell is
// wrong, so an operator does not conclude there is nothing to unlock while the key stays locked: a
// --prefix under which the store has no key at all, a key pasted with its RFC 8941 quotes (as the
// README's curl sends it and request logs show it). A GraphQL operation written in the query's order
// instead of sorted, and a --scope of '' (which the server never stores), are usage errors (exit 2).
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { runCli } from '../../support/cli.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

const cli = (...args: string[]) => runCli([], args);
const prefix = uniquePrefix('cli-miss');
const store = createRedisStore({ redis: connectRedis(), prefix });
const url = inject('redisUrl');

/** A running record (its holder crashed): the key an operator comes to unlock. */
async function lockedKey(operation: string): Promise<string> {
  const key = randomUUID();
  const engine = createIdempotencyEngine({ store, lease: 60_000 });
  const attempt = await engine.begin({ scope: 'user-7', operation, key, input: {} });
  expect(attempt.status).toBe('running'); // never finished: the holder is gone
  return key;
}

const address = (operation: string, key: string) => ['--scope', 'user-7', '--operation', operation, '--key', key];

describe('the CLI never answers a wrong address with a bare "no such record"', () => {
  it.each([
    ['ioredis', []],
    ['node-redis', ['./test/system/cli/fixtures/without-ioredis.ts']],
  ])(
    'a --prefix under which the store has no key at all (%s): exit 3 with a hint at --prefix',
    async (_client, imports) => {
      const key = await lockedKey('createPayment');
      const wrongPrefix = `${prefix}nope*:`;
      const answer = await runCli(imports, [
        'forget',
        '--redis',
        url,
        '--prefix',
        wrongPrefix,
        ...address('createPayment', key),
      ]);
      expect(answer).toMatchObject({ code: 3, stdout: '{\n  "forgotten": false\n}\n' });
      expect(answer.stderr).toBe(
        `idempotent-mutations: no such record; no key at all starts with the prefix "${wrongPrefix}": ` +
          'check --prefix (default idem:).\n',
      );
    },
    60_000,
  );

  it('the right prefix and a key of no record: exit 3, no hint', async () => {
    await lockedKey('createPayment');
    const answer = await cli('inspect', '--redis', url, '--prefix', prefix, ...address('createPayment', 'k-none'));
    expect(answer).toMatchObject({ code: 3, stderr: '' });
  }, 60_000);

  it('a GraphQL operation of several root fields written in query order, not sorted: exit 2 naming the sorted form', async () => {
    const key = await lockedKey('createPayment,sendReceipt');
    const answer = await cli(
      'forget',
      '--redis',
      url,
      '--prefix',
      prefix,
      ...address('sendReceipt,createPayment,sendReceipt', key),
    );
    expect(answer.code).toBe(2);
    expect(answer.stderr).toMatch(/use --operation createPayment,sendReceipt\.\n/);
    await expect(
      cli('forget', '--redis', url, '--prefix', prefix, ...address('createPayment,sendReceipt', key)),
    ).resolves.toMatchObject({ code: 0 });
  }, 60_000);

  it('a key pasted with its RFC 8941 quotes, as the header carried it: exit 3 with a hint at the quotes', async () => {
    const key = await lockedKey('createPayment');
    const answer = await cli('forget', '--redis', url, '--prefix', prefix, ...address('createPayment', `"${key}"`));
    expect(answer.code).toBe(3);
    expect(answer.stderr).toMatch(
      /^idempotent-mutations: no such record; the key is in double quotes, .*pass --key without them\.\n$/,
    );
  }, 60_000);

  it("a --scope of '' (the server stores nothing under it): exit 2 naming --scope", async () => {
    const answer = await cli(
      'inspect',
      '--redis',
      url,
      '--prefix',
      prefix,
      '--scope',
      '',
      '--operation',
      'createPayment',
      '--key',
      'k',
    );
    expect(answer.code).toBe(2);
    expect(answer.stderr).toMatch(/^idempotent-mutations: --scope is empty/);
  }, 60_000);
});
