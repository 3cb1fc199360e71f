import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BeginRequest } from '../../../src/index.js';
import { EXTEND } from '../../../src/stores/redis-scripts.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { startFaultProxy, type FaultProxy } from '../../support/redis/fault-proxy.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';

let server: RedisServer;
let proxy: FaultProxy;
let direct: Redis;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
  direct = new Redis(server.url);
});
afterEach(() => {
  proxy.clear();
  clients.splice(0).forEach((client) => client.disconnect());
});
afterAll(async () => {
  direct.disconnect();
  await proxy.close();
  await server.stop();
});

/** A client through the proxy. By default it never reconnects, so a closed connection fails its commands at once. */
async function viaProxy(options: RedisOptions = { retryStrategy: () => null }): Promise<Redis> {
  const client = new Redis(proxy.url, { lazyConnect: true, ...options });
  client.on('error', () => {});
  clients.push(client);
  await client.connect();
  return client;
}

const PREFIX = 'proxy-test:';
function beginRequest(): BeginRequest {
  return { id: randomUUID(), scopeId: 'scope', fingerprint: 'fp', owner: randomUUID(), leaseMs: 5_000, ttlMs: 60_000 };
}
const recordOf = (request: BeginRequest) => direct.hgetall(`${PREFIX}{${request.id}}`);
const storeOn = (client: Redis) => createRedisStore({ redis: client, prefix: PREFIX, timeout: 2_000 });
/**
 * Runs one begin first, so the server has the script and the next begin is one EVALSHA (a fault aimed
 * at the first begin of a fresh server would hit the EVALSHA that Redis answers NOSCRIPT, not a run).
 */
const warmScripts = (client: Redis) => storeOn(client).begin(beginRequest());

describe('the fault proxy without faults', () => {
  it('relays coalesced and split frames and replies of every RESP2 shape unchanged', async () => {
    const client = await viaProxy();
    const big = 'x'.repeat(1 << 20); // spans many TCP reads
    const pipeline = client.pipeline().set('big', big).get('big').get('missing').hgetall('missing');
    pipeline.eval("return {1, {'a', {2, false}}, redis.status_reply('OK')}", 0);
    pipeline.eval("return redis.error_reply('boom')", 0);
    for (let i = 0; i < 200; i++) pipeline.incr('counter'); // many commands per packet
    const replies = await pipeline.exec();

    expect(replies!.slice(0, 6)).toEqual([
      [null, 'OK'],
      [null, big],
      [null, null],
      [null, {}],
      [null, [1, ['a', [2, null]], 'OK']],
      [expect.objectContaining({ message: expect.stringContaining('boom') })], // an error entry has no result slot
    ]);
    expect(replies!.at(-1)).toEqual([null, 200]);
  });

  it('recognises a transition sent as EVAL (script text) and as EVALSHA (sha1)', async () => {
    const client = await viaProxy();
    const before = proxy.stats.transitions.extend;
    const sha = createHash('sha1').update(EXTEND).digest('hex');
    // Arguments do not matter to the proxy: it names the script, whatever Redis answers.
    await Promise.allSettled([
      client.eval(EXTEND, 1, 'k', 'nobody', 1_000),
      client.evalsha(sha, 1, 'k', 'nobody', 1_000),
    ]);
    expect(proxy.stats.transitions.extend - before).toBe(2);
  });
});

describe('each fault, against the real redis-server', () => {
  it('drop-reply: Redis runs the command, the client never sees its reply and sees the connection close', async () => {
    const client = await viaProxy();
    await warmScripts(client);
    const request = beginRequest();
    const fired = proxy.inject({ kind: 'drop-reply', transition: 'begin' });

    await expect(storeOn(client).begin(request)).rejects.toThrow(/Connection is closed/);
    await fired;
    expect(client.status).toBe('end');
    expect(await recordOf(request)).toMatchObject({ state: 'running', owner: request.owner });
    expect(proxy.stats.fired.at(-1)).toMatch(/^drop-reply begin #\d+$/);
  });

  it('drop-reply aims at the nth occurrence only', async () => {
    const client = await viaProxy();
    const store = storeOn(client);
    await warmScripts(client);
    const [first, second] = [beginRequest(), beginRequest()];
    void proxy.inject({ kind: 'drop-reply', transition: 'begin', nth: 2 });

    await expect(store.begin(first)).resolves.toMatchObject({ status: 'acquired' });
    await expect(store.begin(second)).rejects.toThrow(/Connection is closed/);
    expect(await recordOf(second)).toMatchObject({ state: 'running', owner: second.owner });
  });

  it('close: the connection closes before the command is forwarded, so Redis never runs it; earlier commands are answered', async () => {
    const client = await viaProxy();
    const request = beginRequest();
    const fired = proxy.inject({ kind: 'close', transition: 'begin' });

    const [ping, begin] = await Promise.allSettled([client.ping(), storeOn(client).begin(request)]);
    await fired;
    expect(ping).toEqual({ status: 'fulfilled', value: 'PONG' });
    expect(begin).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/Connection is closed/) },
    });
    expect(await recordOf(request)).toEqual({});
  });

  it('blackhole: holds that connection both ways for the time given, then delivers everything; other connections flow', async () => {
    const [client, other] = [await viaProxy(), await viaProxy()];
    const request = beginRequest();
    void proxy.inject({ kind: 'blackhole', transition: 'begin', ms: 400 });

    const started = Date.now();
    const begin = storeOn(client).begin(request);
    const pingAfter = client.ping().then(() => Date.now() - started);
    await sleep(200);
    expect(await recordOf(request)).toEqual({}); // not forwarded yet
    await expect(other.ping()).resolves.toBe('PONG');

    await expect(begin).resolves.toMatchObject({ status: 'acquired' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(await pingAfter).toBeGreaterThanOrEqual(400);
    expect(await recordOf(request)).toMatchObject({ state: 'running', owner: request.owner });
  });

  it('outage: closes every connection and refuses new ones for the time given, then Redis is reachable again', async () => {
    const client = await viaProxy();
    const closed = new Promise((resolve) => client.once('end', resolve));
    const over = proxy.inject({ kind: 'outage', ms: 400 });
    await closed;

    const refusedBefore = proxy.stats.refused;
    await expect(viaProxy()).rejects.toThrow();
    expect(proxy.stats.refused).toBeGreaterThan(refusedBefore);

    await over;
    await expect((await viaProxy()).ping()).resolves.toBe('PONG');
  });
});
