// Origin: an adversarial review of the store clients and the CLI.
// node-redis' legacy interface (`client.legacy()`, the v5 form of v4's legacyMode) has
// callback-style evalSha / eval / ping, so createRedisStore takes it for a node-redis client. Every call
// then throws "Cannot read properties of undefined (reading 'catch')": each keyed request is a 503 whose
// message names neither the cause nor the fix, and with failMode: 'open' every keyed mutation runs
// unprotected, again on every retry. Refuse it at creation, naming the fix (pass the client itself).
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectNodeRedis } from '../../support/node-redis-client.js';
import { uniquePrefix } from '../../support/redis/client.js';

describe('a node-redis legacy client', () => {
  it('is refused at creation with a TypeError naming it and the fix', async () => {
    const client = await connectNodeRedis();
    expect(() => createRedisStore({ redis: client.legacy() as never, prefix: uniquePrefix('legacy') })).toThrow(
      new TypeError(
        'redis store option "redis" is a node-redis legacy-mode client (client.legacy()), whose commands take ' +
          'callbacks: pass the client itself (createClient(…) after connect()).',
      ),
    );
  });
});
