import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../src/index.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../support/redis-client.js';

describe('smoke', () => {
  it('runs once and replays with types', async () => {
    const engine = createIdempotencyEngine({ store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('smoke') }) });
    let runs = 0;
    const run = async () => { runs++; return { at: new Date(5), n: 10n, m: new Map([[1, 'a']]) }; };
    const a = await engine.execute({ scope: 'u', operation: 'op', key: 'k', input: { x: 1 }, run });
    const b = await engine.execute({ scope: 'u', operation: 'op', key: 'k', input: { x: 1 }, run });
    expect(runs).toBe(1);
    expect(b.replayed).toBe(true);
    expect(b.value).toEqual(a.value);
    expect(b.value.at).toBeInstanceOf(Date);
  });
});
