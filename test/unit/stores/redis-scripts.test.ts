// Origin: an adversarial review of the store clients and the CLI.
// Redis older than 7.0 cannot load a `#!lua` line: were only some scripts to carry one, Redis 6 would run
// BEGIN (the body runs) and refuse COMPLETE. So every script refuses Redis < 7 before it reads or writes:
// by a `#!lua` line, or (where that line's OOM rule would refuse replays at maxmemory) by checking
// `redis.REDIS_VERSION_NUM`, which Redis 6 lacks, on its first line.
import { describe, expect, it } from 'vitest';
import * as scripts from '../../../src/stores/redis-scripts.js';

describe('the Redis store scripts', () => {
  it.each(Object.entries(scripts))('%s refuses Redis older than 7.0 on its first line', (_name, lua) => {
    const [first] = lua.split('\n');
    expect(
      first!.startsWith('#!lua') ||
        first ===
          `if not redis.REDIS_VERSION_NUM then return redis.error_reply('idempotent-mutations needs Redis 7.0 or newer') end`,
    ).toBe(true);
  });
});
