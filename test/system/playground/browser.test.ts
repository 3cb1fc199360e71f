import { mkdir } from 'node:fs/promises';
import type pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, inject, it, type ExpectStatic } from 'vitest';
import type { ChargeWrite } from '../../../playground/ledger.js';
import { startPlayground, type Playground } from '../../../playground/start.js';
import type { StoreKind } from '../../../playground/store.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { uniquePrefix } from '../../support/redis/client.js';
import { launchChromium } from '../../support/playground/chromium.js';
import { drivePage, openPage, wrappedButtons, type PageDriver } from '../../support/playground/page-driver.js';
import { scenarioCases, type ScenarioCase } from '../../support/playground/scenario-checks.js';

const ARTIFACTS = 'test-artifacts';
/**
 * Close to `npm run playground`'s timing (`defaultTiming`), with a shorter pause before the kill
 * and a longer lease: a loaded machine must still see B's 409 while A's lease lives, and a
 * double click's second request arrive while the first one charges.
 */
const TIMING = { leaseMs: 2_500, chargeLatencyMs: 500, killDelayMs: 200, waitMs: 5_000 };
type Channel = 'graphql' | 'trpc';

let browser: Browser;
/** The PostgreSQL database of this file; each playground on it makes (and drops) a schema of its own. */
let database: TestDatabase;
/** The test's own connection to it, apart from the playground's. */
let sql: pg.Pool;
beforeAll(async () => {
  [browser, database] = await Promise.all([launchChromium(), createTestDatabase()]);
  sql = database.pool({ max: 2 });
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await database?.drop();
});

/** The charges of a playground's run on PostgreSQL, read by the test's own connection: each row's fence and writers. */
async function chargeRows(schema: string): Promise<{ fence: number | null; writers: string[] }[]> {
  const { rows } = await sql.query<{ fence: number | null; writes: ChargeWrite[] }>(
    `SELECT fence, writes FROM "${schema}".charges ORDER BY seq`,
  );
  return rows.map(({ fence, writes }) => ({
    fence,
    writers: writes.map((write) => `${write.instance}:${write.fence}`),
  }));
}

const EVERY: ScenarioCase['scenario'][] = ['pay', 'double', 'reuse', 'crash'];

/**
 * Every scenario at a desktop and at a phone width: at 1280 px via both channels on the memory and
 * Redis stores, at 390 px on the memory store with the channels taking turns. On PostgreSQL, via
 * both channels, the scenarios where the store's transaction matters (a reused key's 422 is decided
 * before the body runs, as on every store). Each combination has its own playground and page, and
 * they run side by side (vitest runs five at once, so the shorter PostgreSQL ones come last): a run
 * is mostly waiting for a charge, a lease or a Retry-After.
 */
const combinations: {
  store: StoreKind;
  width: number;
  channels: Channel[];
  scenarios: ScenarioCase['scenario'][];
  screenshots: boolean;
}[] = [
  { store: 'memory', width: 1280, channels: ['graphql'], scenarios: EVERY, screenshots: true },
  { store: 'memory', width: 1280, channels: ['trpc'], scenarios: EVERY, screenshots: false },
  { store: 'redis', width: 1280, channels: ['graphql'], scenarios: EVERY, screenshots: false },
  { store: 'redis', width: 1280, channels: ['trpc'], scenarios: EVERY, screenshots: false },
  { store: 'memory', width: 390, channels: ['trpc', 'graphql'], scenarios: EVERY, screenshots: true },
  { store: 'postgres', width: 1280, channels: ['graphql'], scenarios: ['pay', 'double', 'crash'], screenshots: true },
  { store: 'postgres', width: 1280, channels: ['trpc'], scenarios: ['pay', 'double', 'crash'], screenshots: false },
];

const onOff = (value: boolean) => (value ? 'on' : 'off');

/** The stylesheet's colours (`--good`, `--good-bg`, `--bad`, `--bad-bg`) as computed styles read them. */
const GREEN = { color: 'rgb(24, 121, 78)', background: 'rgb(231, 246, 238)' };
const RED = { color: 'rgb(180, 35, 24)', background: 'rgb(253, 236, 234)' };

/**
 * Checks that what the page shows is coloured by what happened: after a run that charged one key
 * twice, the Charges tile, the ledger rows and every paid call are red and say "charged twice", the
 * second `charged` line of the server log too; after a run that charged once, all of them are green.
 */
async function checkColours(expect: ExpectStatic, driver: PageDriver, outcome: string): Promise<void> {
  const colours = await driver.colours();
  const paid = colours.results.filter((result) => !result.text.includes(': failed'));
  if (outcome === 'duplicate') {
    expect(colours.chargesTile).toMatchObject({ tone: 'bad', ...RED });
    expect(colours.ledgerRows.map((row) => row.tone)).toEqual(colours.ledgerRows.map(() => 'bad'));
    expect(paid.length).toBeGreaterThan(0);
    for (const result of paid) {
      expect(result).toMatchObject({ tone: 'bad', color: RED.color });
      expect(result.text).toMatch(/: charged twice: /);
    }
    expect(colours.serverCharges.at(-1)).toMatchObject({ tone: 'bad', color: RED.color });
  } else if (outcome === 'once') {
    expect(colours.chargesTile).toMatchObject({ tone: 'good', ...GREEN });
    expect(colours.ledgerRows.map((row) => row.tone)).toEqual(['good']);
    for (const result of paid) {
      expect(result).toMatchObject({ tone: 'good', color: GREEN.color });
      expect(result.text).toMatch(/: paid, charge /);
    }
    expect(colours.serverCharges.map((line) => [line.tone, line.color])).toEqual(
      colours.serverCharges.map(() => ['good', GREEN.color]),
    );
  }
}

/**
 * On PostgreSQL: the charges table, counted and read by the test's own connection, holds what the
 * page shows; after a crash with idempotency on, only B's row (fence 2), which the page explains.
 */
async function checkDatabase(
  expect: ExpectStatic,
  driver: PageDriver,
  schema: string,
  scenario: ScenarioCase,
  run: { charges: { fence: number | null }[] },
): Promise<void> {
  expect(await database.count(`"${schema}".charges`)).toBe(run.charges.length);
  const rows = await chargeRows(schema);
  expect(rows.map((row) => row.fence)).toEqual(run.charges.map((charge) => charge.fence));
  if (scenario.scenario !== 'crash') return;
  const colours = await driver.colours();
  if (scenario.switches.idempotency) {
    expect(rows).toEqual([{ fence: 2, writers: ['B:2'] }]);
    expect(colours.ledgerRows.map((row) => row.tone)).toEqual(['good']);
    const note = driver.page.locator('[data-testid="ledger"] tr td.note');
    expect(await note.evaluate((cell) => getComputedStyle(cell).color)).toBe(GREEN.color);
    expect(colours.ledgerRows[0]?.text).toContain("the crashed attempt's write rolled back with its transaction");
    const rolledBack = driver.page.locator('[data-testid="server-log"] li[data-kind="rolled-back"]');
    expect(await rolledBack.allTextContents()).toEqual([
      expect.stringMatching(/its transaction never committed: PostgreSQL rolled it back .* never reached the ledger$/),
    ]);
    expect(await rolledBack.getAttribute('data-tone')).toBe('good');
  } else {
    expect(rows).toEqual([
      { fence: null, writers: ['A:null'] },
      { fence: null, writers: ['B:null'] },
    ]);
    expect(colours.ledgerRows.map((row) => [row.tone, row.background])).toEqual([
      ['bad', RED.background],
      ['bad', RED.background],
    ]);
  }
}

/** Runs one scenario from the page, checks what the page shows and what the ledger holds, and takes a screenshot (`name`) if asked. */
async function runCase(
  expect: ExpectStatic,
  driver: PageDriver,
  playground: Playground,
  scenario: ScenarioCase,
  channel: Channel,
  name: string | undefined,
): Promise<void> {
  await driver.reset();
  await driver.setSwitches(scenario.switches);
  await driver.chooseChannel(channel);
  const verdict = await driver.run(scenario.scenario);
  const run = {
    outcome: verdict.outcome,
    verdict: verdict.text,
    attempts: await driver.attempts(),
    counters: await driver.counters(),
    serverKinds: await driver.serverKinds(),
    ledgerRows: await driver.ledgerRows(),
    charges: await playground.demo.ledger.list(),
  };
  try {
    scenario.check(expect, run, { channel, store: playground.store });
    await checkColours(expect, driver, run.outcome);
    expect(run.ledgerRows).toBe(run.charges.length);
    if (playground.postgresSchema) await checkDatabase(expect, driver, playground.postgresSchema, scenario, run);
    expect(run.charges.every((charge) => charge.channel === channel)).toBe(true);
    const { idempotency, flaky, wait } = scenario.switches;
    const [header] = await driver.clickHeaders();
    expect(header).toContain(
      `${channel === 'graphql' ? 'GraphQL' : 'tRPC'} · store ${playground.store} · idempotency ${onOff(idempotency)} · flaky ${onOff(flaky)} · wait ${onOff(wait)}`,
    );
    expect(await driver.scrollsSideways(), 'the page scrolls sideways').toBe(false);
    if (driver.page.viewportSize()?.width === 390)
      expect(await driver.logsScrolledInside(), 'a log scrolls inside the page on a phone').toEqual([]);
    expect(await wrappedButtons(driver.page), 'buttons on more than one line').toEqual([]);
  } catch (error) {
    await driver.screenshot(`${name ?? 'playground'}-${playground.store}-${channel}-FAILED`);
    throw new Error(
      `${scenario.name} via ${channel}: ${(error as Error).message}\nrun: ${JSON.stringify({ ...run, charges: run.charges.length })}`,
      { cause: error },
    );
  }
  if (name) await driver.screenshot(`${name}-${scenario.name.replace(/\W+/g, '-')}`);
}

describe('playground page', () => {
  it.concurrent.for(combinations)(
    'runs $scenarios via $channels on the $store store at $width px',
    { timeout: 480_000 },
    async ({ store, width, channels, scenarios, screenshots }, { expect }) => {
      const playground = await startPlayground({
        port: 0,
        redisUrl: store === 'redis' ? inject('redisUrl') : undefined,
        redisPrefix: uniquePrefix('playground'),
        databaseUrl: store === 'postgres' ? database.url : undefined,
        timing: TIMING,
      });
      const driver = await openPage(browser, playground.url, width, ARTIFACTS);
      const name = `playground-${width}-${store}-${channels.join('-')}`;
      try {
        expect(await driver.page.getByTestId('store').textContent()).toBe(`store: ${store}`);
        for (const id of ['client-log-empty', 'server-log-empty', 'ledger-empty'])
          expect(await driver.page.getByTestId(id).isVisible(), id).toBe(true);
        expect(await driver.scrollsSideways(), 'the page scrolls sideways before the first click').toBe(false);
        expect(await wrappedButtons(driver.page), 'buttons on more than one line').toEqual([]);
        if (screenshots) await driver.screenshot(`${name}-empty`);
        const cases = scenarioCases.filter((scenario) => scenarios.includes(scenario.scenario));
        for (const [index, scenario] of cases.entries()) {
          await runCase(
            expect,
            driver,
            playground,
            scenario,
            channels[index % channels.length] ?? 'graphql',
            screenshots ? name : undefined,
          );
        }
      } finally {
        await driver.page.close();
        await playground.close();
      }
      if (playground.postgresSchema) {
        const { rows } = await sql.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
          playground.postgresSchema,
        ]);
        expect(rows, 'the run dropped its schema').toEqual([]);
      }
    },
  );
});

describe('playground switches', () => {
  it(
    'belong to one page: a reload starts with idempotency on again, and a second tab never saw it off',
    {
      timeout: 60_000,
    },
    async ({ expect }) => {
      const playground = await startPlayground({ port: 0, timing: TIMING });
      const tabs = await browser.newContext({ viewport: { width: 1280, height: 900 } }); // one browser, two tabs
      const first = await drivePage(await tabs.newPage(), playground.url, ARTIFACTS);
      const second = await drivePage(await tabs.newPage(), playground.url, ARTIFACTS);
      const fences = async () => (await playground.demo.ledger.list()).map((charge) => charge.fence);
      try {
        await first.setSwitches({ idempotency: false, flaky: true, wait: false });

        expect(await second.page.getByTestId('idempotency').isChecked()).toBe(true);
        expect(await second.page.getByTestId('flaky').isChecked()).toBe(false);
        expect(await second.run('pay')).toMatchObject({ outcome: 'once' });
        expect(await fences()).toEqual([1]); // the second tab's payment went to the protected API

        expect(await first.run('pay')).toMatchObject({ outcome: 'duplicate' });
        expect(await fences()).toEqual([1, null, null]); // the first tab's, unprotected, on its flaky network

        await first.reload();
        expect(await first.page.getByTestId('idempotency').isChecked()).toBe(true);
        expect(await first.page.getByTestId('flaky').isChecked()).toBe(false);
        await first.reset();
        expect(await first.run('pay')).toMatchObject({ outcome: 'once' });
        expect(await fences()).toEqual([1]);
        expect((await first.clickHeaders())[0]).toContain('idempotency on · flaky off · wait off');
      } finally {
        await tabs.close();
        await playground.close();
      }
    },
  );
});
