/**
 * The 409 choreography every GraphQL client helper must ride out (Apollo Client's link, urql's
 * exchange), against the held-mutation server: a retry of a mutation still running waits and gets
 * its result, the key is minted once per logical mutation, an abort ends the wait, and
 * `retryConcurrent: false` or a Retry-After beyond `maxTotalWait` hands the 409 over at once.
 * Origin: issue #18 ("Clients that give up on 409"): the documented set-ups surfaced
 * IDEMPOTENCY_CONCURRENT_REQUEST when a retry arrived while the first attempt still ran.
 */
import { describe, expect, it } from 'vitest';
import type { UrqlIdempotencyExchangeOptions } from '../../../../src/urql/index.js';
import { startHeldMutationServer } from './held-mutation.js';

/** A v4 UUID, as an RFC 8941 string: a key the helper minted. */
export const UUID_KEY = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;

export type Created = { createPayment: { id: string; amount: number; key: string } };

/** How one `createPayment` ended, whatever the client's way of saying it. */
export type Mutated =
  | { data: Created | undefined; extensions: unknown }
  /** The refusal handed over: its code (the status checked by the driver). */
  | { code: unknown }
  /** The abort's message. */
  | { aborted: string };

/** One client as the scenarios drive it. */
export interface ClientDriver {
  /**
   * How the first attempt is left when the retry is sent: given up on by a client timeout (an abort
   * of its signal, which the call must answer), or still awaited.
   */
  firstAttempts: readonly ('timed out' | 'still awaited')[];
  /**
   * A client with the documented set-up (`x-user: alice`); `onRefusal` is called once a link or
   * exchange below the idempotency one has passed a 409 up (the helper is then waiting).
   */
  create(
    url: string,
    options?: Pick<UrqlIdempotencyExchangeOptions, 'generateKey' | 'retryConcurrent'>,
    onRefusal?: () => void,
  ): {
    mutate(amount: number, request?: { key?: string; signal?: AbortSignal }): Promise<Mutated>;
  };
}

/** A promise resolved by the `onRefusal` it hands out. */
function refusalSeen() {
  let seen!: () => void;
  const promise = new Promise<void>((resolve) => (seen = resolve));
  return { onRefusal: () => seen(), seen: promise };
}

/** The scenarios, for one client. */
export function describeRidesOut409(title: string, driver: ClientDriver): void {
  describe(title, () => {
    it.each(driver.firstAttempts)(
      'a retry of the same mutation while the first attempt runs (same key; the first %s) waits, receives the first attempt’s result, and the body runs once',
      async (firstAttempt) => {
        const timesOut = firstAttempt === 'timed out';
        const server = await startHeldMutationServer();
        const client = driver.create(server.url);
        const timeout = new AbortController();

        const first = client.mutate(5, { key: 'checkout-1', signal: timeout.signal });
        await server.bodyStarted();
        if (timesOut) {
          timeout.abort(new Error('client timeout'));
          expect(await first).toEqual({ aborted: 'client timeout' });
        }
        const retry = client.mutate(5, { key: 'checkout-1' });
        await server.answered('"checkout-1"', 409);
        server.release();
        const payment = { __typename: 'Payment', id: 'createPayment-1', amount: 5, key: 'checkout-1' };

        expect(await retry).toEqual({
          data: { createPayment: payment },
          extensions: { idempotency: { replayed: true } },
        });
        if (!timesOut) expect(await first).toMatchObject({ data: { createPayment: payment } });
        expect(server.runs.createPayment).toBe(1);
        const statuses = server.requests.slice(1).map((seen) => seen.status);
        expect(statuses.slice(0, -1).every((status) => status === 409)).toBe(true);
        expect(statuses.at(-1)).toBe(200);
        expect(server.requests.map((seen) => seen.key)).toEqual(server.requests.map(() => '"checkout-1"'));

        // A new logical mutation (the same document and variables) gets a new key, and runs.
        const next = await client.mutate(5);
        expect(server.requests.at(-1)?.key).toMatch(UUID_KEY);
        expect(next).toMatchObject({ data: { createPayment: { id: 'createPayment-2' } } });
        expect(server.runs.createPayment).toBe(2);
      },
    );

    it('mints the key once per logical mutation: every re-send after a 409 carries it, and the bound hands the last 409 over', async () => {
      const server = await startHeldMutationServer();
      let minted = 0;
      const client = driver.create(server.url, {
        generateKey: () => (minted++, 'order-7'),
        retryConcurrent: { retries: 2 },
      });

      const first = driver.create(server.url).mutate(3, { key: 'order-7' });
      await server.bodyStarted();

      expect(await client.mutate(3)).toEqual({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST' });
      expect(minted).toBe(1);
      expect(server.requests.map((seen) => [seen.key, seen.status])).toEqual([
        ['"order-7"', undefined], // the first attempt, still held
        ['"order-7"', 409],
        ['"order-7"', 409], // re-send 1
        ['"order-7"', 409], // re-send 2: the bound
      ]);
      server.release();
      expect(await first).toMatchObject({ data: { createPayment: { key: 'order-7' } } });
      expect(server.runs.createPayment).toBe(1);
    });

    it('an abort of the operation’s signal ends the wait at once and sends nothing more', async () => {
      const server = await startHeldMutationServer(60); // Retry-After: 60 s, longer than the test's timeout
      const refusal = refusalSeen();
      const client = driver.create(
        server.url,
        { retryConcurrent: { maxDelay: 60_000, maxTotalWait: 120_000 } },
        refusal.onRefusal,
      );
      const first = client.mutate(4, { key: 'cart-9' });
      await server.bodyStarted();
      const leave = new AbortController();

      const retry = client.mutate(4, { key: 'cart-9', signal: leave.signal });
      await refusal.seen; // the helper now waits out the 409's Retry-After
      leave.abort(new Error('user left the page'));

      expect(await retry).toEqual({ aborted: 'user left the page' });
      server.release();
      await first;
      expect(server.requests.map((seen) => [seen.key, seen.status])).toEqual([
        ['"cart-9"', 200],
        ['"cart-9"', 409],
      ]);
      expect(server.runs.createPayment).toBe(1);
    });

    it('retryConcurrent: false, or a Retry-After beyond maxTotalWait, hands the first 409 over at once', async () => {
      const server = await startHeldMutationServer();
      const first = driver.create(server.url).mutate(2, { key: 'k-1' });
      await server.bodyStarted();

      for (const retryConcurrent of [false, { maxTotalWait: 500 }] as const) {
        const refused = await driver.create(server.url, { retryConcurrent }).mutate(2, { key: 'k-1' });
        expect(refused).toEqual({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST' });
      }
      expect(server.requests.map((seen) => seen.status)).toEqual([undefined, 409, 409]);
      server.release();
      await first;
    });
  });
}
