// The operators' CLI (`idempotent-mutations inspect|forget`), run as a child process against real Redis and PostgreSQL.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIdempotencyEngine, type IdempotencyStore } from '../../../src/index.js';
import { createPostgresStore } from '../../../src/stores/postgres.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { freePort } from '../../support/free-port.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the CLI from source (tsx), as `npx idempotent-mutations …` runs its build. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

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
