/**
 * The `tx()` examples of docs/postgres.md (pg, Drizzle, Kysely), run as written on PostgreSQL
 * through the engine: each writes one row per key, and a body that threw leaves none (issue #19).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  IdempotencyResultNotStoredError,
  type IdempotencyEngine,
  type RunContext,
} from '../../../src/index.js';
import { createPostgresStore } from '../../../src/stores/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const examples = path.join(root, '.tx-examples', String(process.pid));

/** The ```ts block named `<!-- file: name -->` in docs/postgres.md, written where node_modules resolve. */
function example(name: string): string {
  const markdown = readFileSync(path.join(root, 'docs/postgres.md'), 'utf8');
  const block = new RegExp(`<!-- file: ${name.replace('.', '\\.')} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\``).exec(
    markdown,
  );
  if (!block) throw new Error(`docs/postgres.md has no block ${name}`);
  const file = path.join(examples, name);
  writeFileSync(file, block[1]!); // its only import of idempotent-mutations is a type: erased
  return file;
}

type Pay = (idempotency: RunContext, amount: number) => Promise<{ id: number; amount: number }>;

let database: TestDatabase;
let engine: IdempotencyEngine;
let store: ReturnType<typeof createPostgresStore>;
beforeAll(async () => {
  mkdirSync(examples, { recursive: true });
  database = await createTestDatabase();
  const pool = database.pool({ max: 10 });
  await pool.query('CREATE TABLE payments (id serial PRIMARY KEY, amount int NOT NULL)');
  store = createPostgresStore({ pool, cleanupInterval: 0 });
  engine = createIdempotencyEngine({ store });
});
afterAll(async () => {
  rmSync(examples, { recursive: true, force: true });
  await database?.drop();
});

describe.each(['tx-pg.ts', 'tx-drizzle.ts', 'tx-kysely.ts'])('docs/postgres.md %s', (name) => {
  it('writes one row per key, replays the result, and a body that threw after writing leaves none', async () => {
    const { pay } = (await import(/* @vite-ignore */ example(name))) as { pay: Pay };
    const amount = Math.floor(Math.random() * 1e9);
    const request = { scope: 'u', operation: 'pay', key: randomUUID(), input: { amount } };
    const first = await engine.execute({ ...request, run: (context) => pay(context, amount) });
    const again = await engine.execute({ ...request, run: (context) => pay(context, amount) });
    expect(again).toEqual({ value: first.value, replayed: true });
    expect(first.value).toMatchObject({ amount });
    expect(await database.count(`payments WHERE amount = ${amount}`)).toBe(1);

    const threw = engine.execute({
      ...request,
      key: randomUUID(),
      run: async (context) => {
        await pay(context, amount + 1);
        throw new Error('after writing');
      },
    });
    await expect(threw).rejects.toThrow('after writing');
    expect(await database.count(`payments WHERE amount = ${amount + 1}`)).toBe(0);
  });
});

describe('a returned value the policy does not keep', () => {
  it('shouldStore false: the writes commit once with the not-stored marker; a repeat is refused, never run again', async () => {
    const { pay } = (await import(/* @vite-ignore */ example('tx-pg.ts'))) as { pay: Pay };
    const amount = Math.floor(Math.random() * 1e9);
    const request = { scope: 'u', operation: 'pay', key: randomUUID(), input: { amount }, shouldStore: () => false };
    let runs = 0;
    const run = (context: RunContext) => (runs++, pay(context, amount));
    await engine.execute({ ...request, run });
    await expect(engine.execute({ ...request, run })).rejects.toBeInstanceOf(IdempotencyResultNotStoredError);
    expect(runs).toBe(1);
    expect(await database.count(`payments WHERE amount = ${amount}`)).toBe(1);
  });
});
