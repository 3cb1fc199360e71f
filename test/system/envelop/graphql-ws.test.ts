/**
 * Yoga over a real graphql-ws server and client (docs/envelop-and-graphql-ws.md wiring),
 * real Redis. Races between sockets, sockets dropped mid-mutation with graphql-ws' own automatic
 * re-send, keys from connection params, subscriptions mixed in, and several server processes
 * sharing one Redis with a kill -9 of the holder.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { uniquePrefix } from '../../support/redis/client.js';
import { startWsYoga } from '../../support/servers/yoga-ws-process.js';

type Server = Awaited<ReturnType<typeof startWsYoga>>;
const servers: Server[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: Partial<Parameters<typeof startWsYoga>[0]> = {}) {
  const s = await startWsYoga({ redisUrl: inject('redisUrl'), prefix: uniquePrefix('r5-ws'), ...options });
  servers.push(s);
  return s;
}

function client(url: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const c = createClient({ url, webSocketImpl: WebSocket, connectionParams: params, retryAttempts: 0, ...extra });
  clients.push(c);
  return c;
}

const PAY = 'mutation ($k: String, $a: Int!) { pay(amount: $a, idempotencyKey: $k) { id amount fence } }';

function run(c: Client, query: string, variables: Record<string, unknown>): Promise<ExecutionResult> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult | undefined;
    c.subscribe(
      { query, variables },
      { next: (v) => (result = v as ExecutionResult), error: reject, complete: () => resolve(result!) },
    );
  });
}

const code = (r: ExecutionResult) => r.errors?.[0]?.extensions?.code;

describe('graphql-ws: races and retries across sockets', () => {
  it('two sockets of one user race one key: the body runs once, the loser gets CONCURRENT, later repeats replay the same payment', async () => {
    const s = await server({ bodyMs: 300 });
    const a = client(s.wsUrl, { userToken: 'alice' });
    const b = client(s.wsUrl, { userToken: 'alice' });
    const [ra, rb] = await Promise.all([run(a, PAY, { k: 'w1', a: 5 }), run(b, PAY, { k: 'w1', a: 5 })]);
    const winner = ra.data ? ra : rb;
    const loser = ra.data ? rb : ra;
    expect(winner.data).toBeTruthy();
    expect(code(loser)).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    const again = await run(client(s.wsUrl, { userToken: 'alice' }), PAY, { k: 'w1', a: 5 });
    expect(again.data).toEqual(winner.data);
    expect(again.extensions).toEqual({ idempotency: { replayed: true } });
    expect(await s.runs()).toBe(1);
  });

  it('two users, one key, one socket each at once: each runs and gets their own payment', async () => {
    const s = await server({ bodyMs: 100 });
    const [ra, rb] = await Promise.all([
      run(client(s.wsUrl, { userToken: 'alice' }), PAY, { k: 'w2', a: 5 }),
      run(client(s.wsUrl, { userToken: 'bob' }), PAY, { k: 'w2', a: 7 }),
    ]);
    expect((ra.data as { pay: { amount: number } }).pay.amount).toBe(5);
    expect((rb.data as { pay: { amount: number } }).pay.amount).toBe(7);
    expect(await s.runs()).toBe(2);
  });

  it('the server drops every socket mid-mutation; graphql-ws re-sends the mutation on its new socket by itself: one run, the retry never runs it again', async () => {
    const s = await server({ bodyMs: 400 });
    const c = client(
      s.wsUrl,
      { userToken: 'alice' },
      { retryAttempts: 5, retryWait: async () => new Promise((r) => setTimeout(r, 50)), shouldRetry: () => true },
    );
    const pending = run(c, PAY, { k: 'w3', a: 9 });
    await expect.poll(() => s.runs()).toBe(1);
    s.terminateSockets();
    const result = await pending; // the re-sent mutation: 409-like refusal while the first still runs, or the replay
    expect(result.data ?? code(result)).toBeTruthy();
    if (!result.data) expect(code(result)).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    await new Promise((r) => setTimeout(r, 500));
    const replay = await run(client(s.wsUrl, { userToken: 'alice' }), PAY, { k: 'w3', a: 9 });
    expect(replay.extensions).toEqual({ idempotency: { replayed: true } });
    expect(await s.runs()).toBe(1);
  });

  it('key from connection params (getKey): the same connection key with another amount is 422, never the first payment', async () => {
    const s = await server({ connectionKey: true });
    const first = await run(client(s.wsUrl, { userToken: 'alice', idempotencyKey: 'conn-1' }), PAY, { a: 5 });
    expect(first.data).toBeTruthy();
    const other = await run(client(s.wsUrl, { userToken: 'alice', idempotencyKey: 'conn-1' }), PAY, { a: 5000 });
    expect(other.data ?? null).toBeNull();
    expect(code(other)).toBe('IDEMPOTENCY_KEY_PARAMETER_MISMATCH');
    // the argument must agree with the connection key
    const disagree = await run(client(s.wsUrl, { userToken: 'alice', idempotencyKey: 'conn-1' }), PAY, {
      k: 'other',
      a: 5,
    });
    expect(code(disagree)).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(await s.runs()).toBe(1);
  });

  it('a subscription running on the same socket (with an idempotencyKey argument) does not disturb a keyed mutation: one run, replay', async () => {
    const s = await server({ bodyMs: 50 });
    const c = client(s.wsUrl, { userToken: 'alice' });
    const ticks: number[] = [];
    const sub = new Promise<void>((resolve, reject) =>
      c.subscribe(
        { query: 'subscription ($k: String) { ticks(n: 5, idempotencyKey: $k) }', variables: { k: 'w5' } },
        {
          next: (v) => ticks.push((v.data as { ticks: number }).ticks),
          error: reject,
          complete: resolve,
        },
      ),
    );
    const [m1, m2] = await Promise.all([
      run(c, PAY, { k: 'w5', a: 1 }),
      sub.then(() => run(c, PAY, { k: 'w5', a: 1 })),
    ]);
    expect(ticks).toEqual([0, 1, 2, 3, 4]);
    expect(m2.data).toEqual(m1.data);
    expect(await s.runs()).toBe(1);
  });

  it('a keyed mutation without an identity over graphql-ws is refused (SCOPE_MISSING), nothing runs', async () => {
    const s = await server();
    const r = await run(client(s.wsUrl, {}), PAY, { k: 'w6', a: 1 });
    expect(code(r)).toBe('IDEMPOTENCY_SCOPE_MISSING');
    expect(await s.runs()).toBe(0);
  });
});

describe('graphql-ws: two server processes on one Redis, kill -9 of the holder', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  async function spawnServer(env: Record<string, string>) {
    const script = fileURLToPath(new URL('../../support/servers/yoga-ws-process.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as { ready?: { port: number } };
        if (m.ready) resolve(m.ready.port);
      });
      child.once('exit', () => reject(new Error('child exited')));
    });
    return { child, url: `ws://127.0.0.1:${port}/graphql` };
  }

  it('racing on two processes, then kill -9 of the holder: CONCURRENT until the lease lapses, then one takeover (fence 2), replayed everywhere after', async () => {
    const prefix = uniquePrefix('r5-ws-mp');
    const env = { REDIS_URL: inject('redisUrl'), PREFIX: prefix, LEASE_MS: '1500', BODY_MS: '60000' };
    const [p1, p2] = await Promise.all([spawnServer(env), spawnServer({ ...env, BODY_MS: '200' })]);
    const c1 = client(p1.url, { userToken: 'alice' });
    const c2 = client(p2.url, { userToken: 'alice' });
    void run(c1, PAY, { k: 'w7', a: 3 }).catch(() => undefined); // holder on p1 (never finishes)
    const { Redis } = await import('ioredis');
    const redis = new Redis(inject('redisUrl'));
    await expect.poll(async () => Number(await redis.get(`${prefix}runs`)), { timeout: 10_000 }).toBe(1);
    const racing = await run(c2, PAY, { k: 'w7', a: 3 });
    expect(code(racing)).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    p1.child.kill('SIGKILL');
    let result: ExecutionResult | undefined;
    const deadline = Date.now() + 6_000;
    while (Date.now() < deadline) {
      result = await run(c2, PAY, { k: 'w7', a: 3 });
      if (result.data) break;
      expect(code(result)).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
      await new Promise((r) => setTimeout(r, 150));
    }
    expect((result?.data as { pay: { fence: number } }).pay.fence).toBe(2);
    const replay = await run(c2, PAY, { k: 'w7', a: 3 });
    expect(replay.data).toEqual(result?.data);
    expect(Number(await redis.get(`${prefix}runs`))).toBe(2); // the killed one and the takeover: documented at-least-once, fenced
    redis.disconnect();
  }, 30_000);
});
