// The operators' CLI (`idempotent-mutations inspect|forget`), run as a child process against real Redis (one node
// and a Cluster, through ioredis and node-redis) and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIdempotencyEngine, inspectRecord, type IdempotencyStore } from '../../../src/index.js';
import { createPostgresStore } from '../../../src/stores/postgres.js';
import { createRedisStore, type RedisStore } from '../../../src/stores/redis.js';
import { runCli } from '../../support/cli.js';
import { freePort } from '../../support/free-port.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { askRedis } from '../../support/redis/ask.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startRedisCluster, type RedisCluster } from '../../support/redis/cluster.js';

const cli = (...args: string[]) => runCli([], args);
/** The CLI where ioredis is not installed: it takes node-redis. */
const cliOnNodeRedis = (...args: string[]) => runCli(['./test/system/cli/fixtures/without-ioredis.ts'], args);

const SECRET = 'card-4242-secret';

/** Runs `createPayment` once through an engine on `store` for scope user-7 and a fresh key; returns the key. */
async function paid(store: IdempotencyStore): Promise<string> {
  const key = randomUUID();
  const engine = createIdempotencyEngine({ store });
  await engine.execute({ scope: 'user-7', operation: 'createPayment', key, input: 1, run: async () => SECRET });
  return key;
}

describe('CLI on Redis', () => {
  const prefix = uniquePrefix('cli');
  const url = inject('redisUrl');
  const store = createRedisStore({ redis: connectRedis(), prefix });
  const address = (key: string) => ['--scope', 'user-7', '--operation', 'createPayment', '--key', key];

  it('inspects without the result, with it only on --include-result, forgets, then finds nothing (exit 3)', async () => {
    const key = await paid(store);
    const inspected = await cli('inspect', '--redis', url, '--prefix', prefix, ...address(key));
    expect(inspected).toMatchObject({ code: 0, stderr: '' });
    const shown = JSON.parse(inspected.stdout) as { id: string; record: Record<string, unknown> };
    expect(shown.record).toMatchObject({ state: 'done', fence: 1, takeover: false });
    expect(Object.keys(shown.record).sort()).toEqual(['expiresAt', 'fence', 'state', 'takeover']);
    expect(inspected.stdout).not.toContain(SECRET);

    const withResult = await cli('inspect', '--redis', url, '--prefix', prefix, ...address(key), '--include-result');
    expect(withResult.code).toBe(0);
    expect(withResult.stdout).toContain(SECRET);

    const forgotten = await cli('forget', '--redis', url, '--prefix', prefix, ...address(key));
    expect(forgotten.code).toBe(0);
    expect(JSON.parse(forgotten.stdout)).toEqual({ forgotten: true });
    await expect(store.inspect(shown.id)).resolves.toBeUndefined();

    const gone = await cli('inspect', '--redis', url, '--prefix', prefix, ...address(key));
    expect(gone.code).toBe(3);
    expect(JSON.parse(gone.stdout)).toEqual({ id: shown.id, record: null });
    await expect(cli('forget', '--redis', url, '--prefix', prefix, ...address(key))).resolves.toMatchObject({
      code: 3,
    });
  });

  it('exits 2 with the reason and the usage on bad arguments', async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['drop', '--redis', url], /unknown command "drop"/],
      [['inspect', '--operation', 'op', '--key', 'k', '--scope', 's'], /exactly one store/],
      [
        ['inspect', '--redis-cluster', 'redis://a:1/2', '--scope', 's', '--operation', 'o', '--key', 'k'],
        /a Redis Cluster has only database 0/,
      ],
      [
        ['inspect', '--redis', url, '--postgres', 'postgres://x', '--scope', 's', '--operation', 'o', '--key', 'k'],
        /exactly one store/,
      ],
      [['inspect', '--redis', url, '--operation', 'op', '--key', 'k'], /--scope <scope> or --anonymous/],
      [
        ['forget', '--redis', url, '--scope', 's', '--operation', 'o', '--key', 'k', '--include-result'],
        /goes with inspect/,
      ],
      [
        ['inspect', '--redis', url, '--scope', 's', '--operation', 'o', '--key', 'k', '--timeout', 'soon'],
        /--timeout must be/,
      ],
      [['inspect', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, stdout } = await cli(...args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(message);
      expect(stderr).toContain('Usage:');
      expect(stdout).toBe('');
    }
  }, 180_000);

  it('exits 1 naming the failure when Redis cannot be reached', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await cli('inspect', '--redis', closed, '--timeout', '500', ...address('k'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^idempotent-mutations: cannot reach Redis at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  }, 60_000);
});

describe('CLI on Redis Cluster', () => {
  const prefix = uniquePrefix('cli-cluster');
  let cluster: RedisCluster;
  let store: RedisStore;
  let given: number; // the one node the CLI is told about: it finds the others
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    store = createRedisStore({ redis: cluster.connect(), prefix });
    given = (await cluster.masterPorts())[0]!;
  }, 60_000);
  afterAll(() => cluster?.stop());
  const address = (key: string) => [
    '--prefix',
    prefix,
    '--scope',
    'user-7',
    '--operation',
    'createPayment',
    '--key',
    key,
  ];

  /** Whether the node on `port` serves the record's slot (else it answers MOVED). */
  async function serves(port: number, id: string): Promise<boolean> {
    return askRedis(port, (client) => client.exists(`${prefix}{${id}}`)).then(
      () => true,
      (error: Error) => {
        if (error.message.startsWith('MOVED ')) return false;
        throw error;
      },
    );
  }

  /** A key paid through the Cluster store whose record another master than `given` holds; and its id. */
  async function paidElsewhere(): Promise<{ key: string; id: string }> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const key = await paid(store);
      const { id } = await inspectRecord(store, { scope: 'user-7', operation: 'createPayment', key });
      if (!(await serves(given, id))) return { key, id };
    }
    throw new Error(`100 records, all on the node at port ${given}`);
  }

  it.each([
    ['ioredis', cli],
    ['node-redis', cliOnNodeRedis],
  ] as const)(
    '%s: given one node, inspects and forgets a record another master holds, then finds nothing (exit 3)',
    async (_client, run) => {
      const { key, id } = await paidElsewhere();
      const nodes = `redis://127.0.0.1:${given}`;
      const inspected = await run('inspect', '--redis-cluster', nodes, ...address(key));
      expect(inspected).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(inspected.stdout)).toMatchObject({ id, record: { state: 'done', fence: 1, takeover: false } });
      expect(inspected.stdout).not.toContain(SECRET);
      const withResult = await run('inspect', '--redis-cluster', nodes, ...address(key), '--include-result');
      expect(withResult.code).toBe(0);
      expect(withResult.stdout).toContain(SECRET);

      const forgotten = await run('forget', '--redis-cluster', `127.0.0.1:${given}`, ...address(key));
      expect(forgotten).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(forgotten.stdout)).toEqual({ forgotten: true });
      await expect(store.inspect(id)).resolves.toBeUndefined();
      await expect(run('inspect', '--redis-cluster', nodes, ...address(key))).resolves.toMatchObject({ code: 3 });
    },
    120_000,
  );

  it('--redis on a Cluster node, for a record another master holds: exit 1 naming --redis-cluster, nothing forgotten', async () => {
    const { key, id } = await paidElsewhere();
    const { code, stderr } = await cli('forget', '--redis', `redis://127.0.0.1:${given}`, ...address(key));
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^idempotent-mutations: MOVED \d+ 127\.0\.0\.1:\d+ \(a Cluster node: use --redis-cluster\)\n$/,
    );
    await expect(store.inspect(id)).resolves.toMatchObject({ state: 'done' });
  }, 60_000);

  it.each([
    // ioredis tells no more than that the connection closed; node-redis passes on the socket's error
    ['ioredis', cli, /Failed to refresh slots cache\. Connection is closed\./],
    ['node-redis', cliOnNodeRedis, /connect ECONNREFUSED/],
  ] as const)(
    '%s: exits 1 naming the nodes when none can be reached, or they are no Cluster',
    async (_client, run, refused) => {
      const closed = `127.0.0.1:${await freePort()}`;
      const unreachable = await run('inspect', '--redis-cluster', closed, '--timeout', '500', ...address('k'));
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(/^idempotent-mutations: cannot reach the Redis Cluster at 127\.0\.0\.1:\d+: /);
      expect(unreachable.stderr).toMatch(refused);
      const single = await run('inspect', '--redis-cluster', inject('redisUrl'), '--timeout', '500', ...address('k'));
      expect(single.code).toBe(1);
      expect(single.stderr).toMatch(
        /^idempotent-mutations: cannot reach the Redis Cluster at 127\.0\.0\.1:\d+: .*ERR This instance has cluster support disabled/,
      );
    },
    60_000,
  );
});

describe('CLI on PostgreSQL', () => {
  let database: TestDatabase;
  let store: ReturnType<typeof createPostgresStore>;
  beforeAll(async () => {
    database = await createTestDatabase();
    store = createPostgresStore({ pool: database.pool({ max: 2 }), cleanupInterval: 0, table: 'keys' });
  });
  afterAll(async () => {
    store?.close();
    await database?.drop();
  });

  it('inspects and forgets a record of a store in its own table', async () => {
    const key = await paid(store);
    const address = [
      '--postgres',
      database.url,
      '--table',
      'keys',
      '--scope',
      'user-7',
      '--operation',
      'createPayment',
      '--key',
      key,
    ];
    const inspected = await cli('inspect', ...address);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout).record).toMatchObject({ state: 'done', fence: 1 });
    expect(inspected.stdout).not.toContain(SECRET);
    await expect(cli('forget', ...address)).resolves.toMatchObject({ code: 0 });
    expect(await database.count('keys')).toBe(0);
  }, 60_000);
});
