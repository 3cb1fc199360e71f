import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createIdempotencyEngine, type IdempotencyEvent } from '../../../src/index.js';
import { recordId } from '../../../src/adapter-kit.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

const LEASE_MS = 300;
const holderScript = fileURLToPath(new URL('./support/paused-holder.ts', import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** Starts the holder process (plain node with the tsx loader, so SIGSTOP reaches the process that runs the engine). */
function startHolder(prefix: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', holderScript], {
    env: { ...process.env, REDIS_URL: inject('redisUrl'), PREFIX: prefix, LEASE_MS: String(LEASE_MS) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextMessage = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('holder exited without a message');
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  return { child, nextMessage };
}

describe('paused holder (SIGSTOP past its lease) with the Redis store', () => {
  it('is taken over; its late completion is refused and reported, the newer result stays, the fence grew', async () => {
    const prefix = uniquePrefix('paused-holder');
    const redis = connectRedis();
    const events: IdempotencyEvent[] = [];
    const engine = createIdempotencyEngine({
      store: createRedisStore({ redis, prefix }),
      lease: LEASE_MS,
      concurrent: { wait: 10_000 },
      onEvent: (event) => events.push(event),
    });
    const request = { scope: 'user-1', operation: 'charge', key: 'paused-holder', input: { amount: 10 } };
    let secondRuns = 0;
    const second = () =>
      engine.execute({
        ...request,
        run: async ({ fence }) => ({ chargedBy: 'second holder', fence, runs: ++secondRuns }),
      });

    const holder = startHolder(prefix);
    expect(await holder.nextMessage()).toEqual({ acquired: 1 });
    holder.child.kill('SIGSTOP');

    const takenOver = await second();
    expect(takenOver).toEqual({ value: { chargedBy: 'second holder', fence: 2, runs: 1 }, replayed: false });
    expect(events.map(({ type, fence }) => ({ type, fence }))).toEqual([
      { type: 'takeover', fence: 2 },
      { type: 'executed', fence: 2 },
    ]);

    holder.child.stdin.write('finish\n');
    holder.child.kill('SIGCONT');
    const late = await holder.nextMessage();
    // The stalled holder's caller still gets its own value (at-least-once), but nothing was written.
    expect(late).toEqual({
      outcome: { value: { chargedBy: 'first holder', fence: 1 }, replayed: false },
      events: [{ type: 'stale-completion', fence: 1 }],
    });

    const replay = await second();
    expect(replay).toEqual({ value: { chargedBy: 'second holder', fence: 2, runs: 1 }, replayed: true });
    expect(secondRuns).toBe(1);
    const record = await redis.hgetall(`${prefix}{${recordId('user-1', 'charge', 'paused-holder')}}`);
    expect(record).toMatchObject({ state: 'done', fence: '2' });
  });
});
