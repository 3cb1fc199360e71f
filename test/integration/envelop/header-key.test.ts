/**
 * The Idempotency-Key header on a Yoga server over real HTTP (real Redis): duplicates in flight with
 * `concurrent: { wait }`, a header sent twice, the header's accepted forms, and a header that
 * disagrees with the argument.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { as, post, sleep, startYoga } from '../../support/servers/yoga.js';

const typeDefs = /* GraphQL */ `
  type Query {
    ok: Boolean!
  }
  type Mutation {
    pay(amount: Int!, idempotencyKey: String): Int!
  }
`;
const PAY = { query: 'mutation { pay(amount: 5) }' };

function counted(bodyMs = 0) {
  const runs = { pay: 0 };
  const resolvers = {
    Query: { ok: () => true },
    Mutation: {
      pay: async () => {
        const run = ++runs.pay;
        await sleep(bodyMs);
        return run;
      },
    },
  };
  return { runs, resolvers };
}

describe('the key header over HTTP', () => {
  it('five duplicates in flight with concurrent: { wait } run once, every caller gets the same answer', async () => {
    const { runs, resolvers } = counted(400);
    const server = await startYoga({
      typeDefs,
      resolvers,
      idempotency: { concurrent: { wait: 10_000 } },
      label: 'hdr-wait',
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(server, PAY, as('alice', '"w-1"'))));
    expect(answers.map((answer) => answer.json.data)).toEqual(Array.from({ length: 5 }, () => ({ pay: 1 })));
    expect(runs.pay).toBe(1);
  });

  it('a header sent twice (whose joined value would parse as one string) is refused with 400, nothing runs', async () => {
    const { runs, resolvers } = counted();
    const server = await startYoga({ typeDefs, resolvers, label: 'hdr-twice', transport: 'http' }); // a raw Node request
    const status = await new Promise<number>((resolve, reject) => {
      const headers = [
        'content-type',
        'application/json',
        'x-user',
        'alice',
        'Idempotency-Key',
        '"a',
        'Idempotency-Key',
        'b"',
      ];
      const req = httpRequest(
        server.url,
        { method: 'POST', headers: headers as unknown as Record<string, string> },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(PAY));
    });
    expect(status).toBe(400);
    expect(runs.pay).toBe(0);
  });

  it('a bare token, a quoted string with whitespace and one with parameters are one key: one run', async () => {
    const { runs, resolvers } = counted();
    const server = await startYoga({ typeDefs, resolvers, label: 'hdr-forms' });
    const answers = [
      await post(server, PAY, { 'x-user': 'alice', 'Idempotency-Key': 'odd-1' }),
      await post(server, PAY, { 'x-user': 'alice', 'Idempotency-Key': '  "odd-1"\t' }),
      await post(server, PAY, { 'x-user': 'alice', 'idempotency-key': '"odd-1";v=2' }),
    ];
    expect(answers.map((answer) => answer.json.data)).toEqual([{ pay: 1 }, { pay: 1 }, { pay: 1 }]);
    expect(runs.pay).toBe(1);
  });

  it('a header and an argument that disagree: 400 IDEMPOTENCY_KEY_INVALID, nothing runs', async () => {
    const { runs, resolvers } = counted();
    const server = await startYoga({ typeDefs, resolvers, label: 'hdr-disagree' });
    const answer = await post(
      server,
      { query: 'mutation { pay(amount: 5, idempotencyKey: "x") }' },
      as('alice', '"y"'),
    );
    expect(answer.status).toBe(400);
    expect(answer.json.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(runs.pay).toBe(0);
  });
});
