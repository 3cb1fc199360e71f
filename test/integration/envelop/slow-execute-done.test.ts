/**
 * Attack: another Envelop plugin whose onExecuteDone is merely slow (it does not throw), e.g. a
 * response-cache invalidation, audit log or tracing flush that awaits a slow network call. The
 * README documents the 1 s fallback only for a plugin whose onExecuteDone *throws*.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { payResolvers, payTypeDefs } from '../../support/servers/payments.js';
import { as, post, replayOf, startYoga } from '../../support/servers/yoga.js';

/** A well-behaved plugin that awaits 1.5 s of I/O after every execution (it never throws). */
const slowAfterExecute: Plugin = {
  onExecute: () => ({
    onExecuteDone: async () => {
      await sleep(1_500);
    },
  }),
};

describe('a slow (not failing) onExecuteDone of another plugin', () => {
  it('a coded client error (stored and replayed by the policy) is not run again on retry', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({
      typeDefs: payTypeDefs,
      resolvers,
      plugins: [slowAfterExecute],
      label: 'slow-done-coded',
    });
    const query = 'mutation { declined(amount: 5) { id } }';
    const first = await post(server, { query }, as('alice', '"slow-coded"'));
    expect(first.json.errors?.[0]?.extensions?.code).toBe('CARD_DECLINED');
    const retry = await post(server, { query }, as('alice', '"slow-coded"'));
    expect(runs.declined).toBe(1); // policy: a coded 4xx is stored and replayed, never run again
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(replayOf(first.text));
  });

  it('a root resolver that returned is stored and replayed (not refused with 500 RESULT_NOT_STORED)', async () => {
    const { runs, resolvers } = payResolvers();
    const server = await startYoga({
      typeDefs: payTypeDefs,
      resolvers,
      plugins: [slowAfterExecute],
      label: 'slow-done-ok',
    });
    const query = 'mutation { pay(amount: 5) { id amount } }';
    const first = await post(server, { query }, as('alice', '"slow-ok"'));
    expect(first.json.data).toEqual({ pay: { id: 'p1', amount: 5 } });
    const retry = await post(server, { query }, as('alice', '"slow-ok"'));
    expect(runs.pay).toBe(1);
    expect(retry.status).toBe(200);
    expect(retry.json.data).toEqual(first.json.data);
  });
});

describe('an execution timeout wrapper (another plugin) that gives up while the root resolver still runs', () => {
  it('does not free the key while the body is still running: the client retry does not run it a second time', async () => {
    // A slow payment provider: the charge is being made.
    const { runs, resolvers } = payResolvers({ before: () => sleep(800) });
    const executionTimeout: Plugin = {
      onExecute({ executeFn, setExecuteFn }) {
        setExecuteFn((args) =>
          Promise.race([
            Promise.resolve(executeFn(args)),
            sleep(200).then(() => {
              throw new Error('Execution timed out.');
            }),
          ]),
        );
      },
    };
    const server = await startYoga({
      typeDefs: payTypeDefs,
      resolvers,
      label: 'exec-timeout',
      plugins: [executionTimeout],
    });
    const query = 'mutation { pay(amount: 5) { id amount } }';
    const first = await post(server, { query }, as('alice', '"timeout-1"'));
    expect(first.json.errors?.length).toBeGreaterThan(0); // timed out
    const retry = await post(server, { query }, as('alice', '"timeout-1"')); // the client retries at once
    expect(runs.pay).toBe(1); // the first body is still running: a retry must get 409, not a second charge
    expect(retry.json.data ?? null).toBeNull();
    await sleep(1_000);
  });
});
