/**
 * The tRPC middleware against the README's promises, over real HTTP with the
 * real Redis store. Every test asserts the promise; a red test is a violation.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { type AnyTRPCRouter } from '@trpc/server';
import { octetInputParser } from '@trpc/server/http';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../../src/trpc/index.js';
import { redisStore, serve } from '../../support/servers/trpc/servers.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { makeT, type Ctx } from '../../support/servers/trpc/t.js';

/** POSTs one tRPC mutation with a superjson body. */
async function post(url: string, path: string, input: unknown, headers: Record<string, string>) {
  const response = await fetch(`${url}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(superjson.serialize(input)),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: (await response.json()) as { result?: { data: unknown }; error?: { json: { data: { code: string } } } },
  };
}

describe('fingerprint of tRPC inputs', () => {
  it('octet-stream (File / Blob / Uint8Array through httpLink): the stream cannot be fingerprinted, so a keyed call is refused with 400 — never a replay of another file', async () => {
    const t = makeT();
    const probe = createProbe();
    const router = t.router({
      avatar: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('rb-octet'), scope: ({ ctx }) => ctx.user }))
        .input(octetInputParser)
        .mutation(async ({ input }) => {
          probe.ran('avatar');
          const text = await new Response(input as ReadableStream).text();
          return { stored: text };
        }),
    });
    const url = await serve(router);
    const client = createTRPCClient<typeof router>({
      links: [
        httpLink({
          url,
          transformer: superjson,
          headers: () => ({ 'x-user': 'alice', 'idempotency-key': '"avatar-1"' }),
        }),
      ],
    });
    const answers: unknown[] = [];
    for (const picture of ['picture of alice', 'a COMPLETELY different picture']) {
      answers.push(await client.avatar.mutate(new Blob([picture])).catch((error: unknown) => error));
    }
    // The README: "same key, same scope, different request → 422, nothing runs". A stream cannot be
    // read without consuming it, so it is refused up front (the fix of review B A1): 400, nothing runs.
    for (const answer of answers) {
      expect(answer).toBeInstanceOf(TRPCClientError);
      expect((answer as TRPCClientError<AnyTRPCRouter>).data).toMatchObject({
        code: 'BAD_REQUEST',
        idempotency: { code: 'IDEMPOTENCY_INPUT_INVALID' },
      });
      expect((answer as Error).message).toMatch(
        /streamed input cannot be fingerprinted; send the file in FormData or as JSON/,
      );
    }
    expect(probe.runs('avatar')).toBe(0);
  });

  // A1b (two streams) and A4 (the fingerprint of a shared 1 MB string) are regression tests in test/core/fingerprint-values.test.ts.
  it('an Error input (superjson sends name, message and cause): inputs differing only in the cause must not fingerprint equal', async () => {
    const t = makeT();
    const probe = createProbe();
    const router = t.router({
      report: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('rb-error-input'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { problem: Error })
        .mutation(({ input }) => {
          probe.ran('report');
          return { filed: String((input.problem.cause as { order?: string } | undefined)?.order) };
        }),
    });
    const url = await serve(router);
    const headers = { 'x-user': 'alice', 'idempotency-key': '"report-1"' };
    const first = await post(
      url,
      'report',
      { problem: new Error('refund failed', { cause: { order: 'order-1' } }) },
      headers,
    );
    const second = await post(
      url,
      'report',
      { problem: new Error('refund failed', { cause: { order: 'order-2' } }) },
      headers,
    );
    expect(first.status).toBe(200);
    expect(first.body.result?.data).toEqual({ json: { filed: 'order-1' } });
    // Another request under the same key: 422, not order-1's answer handed back for order-2.
    expect(second.status).toBe(422);
    expect(probe.runs('report')).toBe(1);
  });

  it('registered superjson symbols (enum-like input values) must not fingerprint equal', async () => {
    const CREDIT = Symbol('credit');
    const DEBIT = Symbol('debit');
    superjson.registerSymbol(CREDIT, 'rb-credit');
    superjson.registerSymbol(DEBIT, 'rb-debit');
    const t = makeT();
    const probe = createProbe();
    const router = t.router({
      book: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('rb-symbol'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { side: symbol; amount: number })
        .mutation(({ input }) => {
          probe.ran('book');
          return { side: input.side.description, amount: input.amount };
        }),
    });
    const url = await serve(router);
    const headers = { 'x-user': 'alice', 'idempotency-key': '"booking-1"' };
    const credit = await post(url, 'book', { side: CREDIT, amount: 100 }, headers);
    const debit = await post(url, 'book', { side: DEBIT, amount: 100 }, headers);
    expect(credit.status).toBe(200);
    expect(debit.body.result?.data).not.toEqual(credit.body.result?.data); // a debit must never be answered with the credit's booking
    expect(debit.status).toBe(422);
  });

  it('over real HTTP: a ~1 MB tRPC request with superjson referentialEqualities (1 000 references to a 1 MB string) is refused promptly with 400', async () => {
    const t = makeT();
    const router = t.router({
      ingest: t.procedure
        .use(idempotency<Ctx>({ store: redisStore('rb-dag'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as unknown[])
        .mutation(({ input }) => input.length),
    });
    const url = await serve(router);
    const refs = 1_000;
    const body = JSON.stringify({
      json: [{ s: 'x'.repeat(1_000_000) }, ...Array.from({ length: refs - 1 }, () => null)],
      meta: { referentialEqualities: { '0': Array.from({ length: refs - 1 }, (_, i) => String(i + 1)) } },
    });
    // CPU time of this process (server and client are in it), not wall time: a busy machine stretches
    // the latter, while hashing the ~1 GB the references expand to costs seconds of CPU anywhere.
    const started = process.cpuUsage();
    const response = await fetch(`${url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'mallory', 'idempotency-key': '"dag-1"' },
      body,
    });
    const { user, system } = process.cpuUsage(started);
    const cpuMs = (user + system) / 1_000;
    // ~1 GB to hash for a ~1 MB request: refused once the input amounts to more than 16 MiB (the fix of review B A4).
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { json: { data: { idempotency: { code: 'IDEMPOTENCY_INPUT_INVALID' } } } },
    });
    expect(cpuMs).toBeLessThan(1_000);
  });
});

describe('identity and carriers in tRPC', () => {
  it('a scope function that returns the user object instead of its id (ctx is `any` by default) must not merge users', async () => {
    const t = makeT();
    const probe = createProbe();
    const store = redisStore('rb-scope-object');
    const router = t.router({
      // `idempotency()` without a type argument: ctx is `any`, so this compiles.
      pay: t.procedure
        .use((opts) => opts.next({ ctx: { account: { id: opts.ctx.user, plan: 'pro' } } }))
        .use(idempotency({ store, scope: ({ ctx }) => ctx.account }))
        .input((raw: unknown) => raw as { amount: number })
        .mutation(({ input, ctx }) => {
          probe.ran('pay');
          return { payer: (ctx as { account: { id: string } }).account.id, amount: input.amount };
        }),
    });
    const url = await serve(router);
    const key = { 'idempotency-key': '"checkout-42"' }; // e.g. a key derived from a cart number
    const alice = await post(url, 'pay', { amount: 5 }, { ...key, 'x-user': 'alice' });
    const bob = await post(url, 'pay', { amount: 5 }, { ...key, 'x-user': 'bob' });
    // A scope that is no id is a configuration error (the fix of review B A5): every keyed call
    // fails (a TypeError naming the option, a 500), nothing runs, and never does bob get alice's result.
    for (const answer of [alice, bob]) {
      expect(answer.status).toBe(500);
      expect(answer.body.result).toBeUndefined();
    }
    expect(probe.runs('pay')).toBe(0);
  });
});
