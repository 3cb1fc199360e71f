/**
 * Attacks 12-16 (Yoga over real HTTP, memory store):
 * 12 five duplicates in flight with concurrent: { wait }: one run, every answer the same.
 * 13 a header sent twice (Node keeps both): refused.
 * 14 header odd forms: bare token, sf-string with whitespace and parameters, are one key: one run.
 * 15 header and argument disagree: refused, nothing runs.
 * 16 batching: a batch of two identical mutations under one Idempotency-Key header, then the retry of
 *    the batch: each logical mutation must get its own result, or the batch is refused (tRPC refuses it).
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { yogaServer } from './yoga-support.js';

const typeDefs = /* GraphQL */ `
  type Query { ok: Boolean! }
  type Mutation { pay(amount: Int!, idempotencyKey: String): Int! }
`;

describe('Yoga everyday setups', () => {
  it('12: duplicates in flight with concurrent wait run once', async () => {
    let runs = 0;
    const { post } = await yogaServer(
      typeDefs,
      {
        Query: { ok: () => true },
        Mutation: { pay: async () => { const n = ++runs; await new Promise((r) => setTimeout(r, 400)); return n; } },
      },
      { concurrent: { wait: 10_000 } },
    );
    const body = { query: 'mutation { pay(amount: 5) }' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(body, { 'Idempotency-Key': '"w-1"' })));
    expect(answers.map((a) => a.body.data)).toEqual(Array.from({ length: 5 }, () => ({ pay: 1 })));
    expect(runs).toBe(1);
  });

  it('13: a header sent twice is refused', async () => {
    let runs = 0;
    const { url } = await yogaServer(typeDefs, { Query: { ok: () => true }, Mutation: { pay: () => ++runs } });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers: [
        'content-type', 'application/json', 'x-user', 'alice', 'Idempotency-Key', '"a', 'Idempotency-Key', 'b"',
      ] as unknown as Record<string, string> }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end(JSON.stringify({ query: 'mutation { pay(amount: 5) }' }));
    });
    expect(status).toBe(400);
    expect(runs).toBe(0);
  });

  it('14: bare token, quoted with whitespace, quoted with parameters: one key', async () => {
    let runs = 0;
    const { post } = await yogaServer(typeDefs, { Query: { ok: () => true }, Mutation: { pay: () => ++runs } });
    const body = { query: 'mutation { pay(amount: 5) }' };
    const a = await post(body, { 'Idempotency-Key': 'odd-1' });
    const b = await post(body, { 'Idempotency-Key': '  "odd-1"\t' });
    const c = await post(body, { 'idempotency-key': '"odd-1";v=2' });
    expect([a, b, c].map((r) => r.body.data)).toEqual([{ pay: 1 }, { pay: 1 }, { pay: 1 }]);
    expect(runs).toBe(1);
  });

  it('15: header and argument disagree: refused', async () => {
    let runs = 0;
    const { post } = await yogaServer(typeDefs, { Query: { ok: () => true }, Mutation: { pay: () => ++runs } });
    const r = await post({ query: 'mutation { pay(amount: 5, idempotencyKey: "x") }' }, { 'Idempotency-Key': '"y"' });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].extensions.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(runs).toBe(0);
  });

  it('16: batch of two identical mutations under one header key', async () => {
    let runs = 0;
    const { post } = await yogaServer(
      typeDefs,
      { Query: { ok: () => true }, Mutation: { pay: () => ++runs } },
      {},
      { batching: true },
    );
    const batch = [{ query: 'mutation { pay(amount: 5) }' }, { query: 'mutation { pay(amount: 5) }' }];
    const first = await post(batch, { 'Idempotency-Key': '"batch-1"' });
    const retry = await post(batch, { 'Idempotency-Key': '"batch-1"' });
    const refused = (r: { status: number; body: any }) =>
      r.status === 400 || (Array.isArray(r.body) && r.body.every((x: any) => x.errors && !x.data));
    if (refused(first)) {
      expect(runs).toBe(0);
      return;
    }
    // Two logical payments were asked for: they must not both be answered with one payment's result.
    console.log(JSON.stringify(first.body), JSON.stringify(retry.body), runs);
    const payments = (retry.body as any[]).map((x) => x.data?.pay);
    expect(new Set(payments).size).toBe(2);
  });
});
