import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPlayground, type Playground } from '../../playground/start.js';
import { uniquePrefix } from '../support/redis-client.js';
import { launchChromium } from './support/chromium.js';

const ARTIFACTS = 'test-artifacts';
const channels = [
  { channel: 'graphql', button: 'pay-graphql' },
  { channel: 'trpc', button: 'pay-trpc' },
] as const;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** The page's live counters, as a person reads them. */
async function displayedCounters(page: Page) {
  const read = async (id: string) => Number(await page.getByTestId(id).textContent());
  return { requests: await read('requests'), lost: await read('lost'), replayed: await read('replayed'), charges: await read('charges') };
}

/** Sets a switch by clicking it, and waits until the server has taken the change. */
async function setSwitch(page: Page, name: 'flaky' | 'idempotency', on: boolean): Promise<void> {
  const box = page.getByTestId(name);
  if ((await box.isChecked()) === on) return;
  await Promise.all([page.waitForResponse((response) => response.url().endsWith('/api/settings') && response.ok()), box.click()]);
}

/** Clicks a Pay button once and waits for the page's verdict on that click. */
async function payOnce(page: Page, button: string): Promise<string> {
  await page.getByTestId(button).click();
  const verdict = page.locator('[data-testid="verdict"]:not([data-outcome="none"])');
  await verdict.waitFor();
  return (await verdict.textContent()) ?? '';
}

describe.each([
  { store: 'memory', redisUrl: undefined },
  { store: 'redis', redisUrl: inject('redisUrl') },
] as const)('playground page on the $store store', ({ store, redisUrl }) => {
  let playground: Playground;
  let page: Page;

  beforeAll(async () => {
    playground = await startPlayground({ port: 0, redisUrl, redisPrefix: uniquePrefix('playground') });
    page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await page.goto(playground.url);
  });
  afterAll(async () => {
    await page?.close();
    await playground?.close();
  });

  async function resetFromThePage(): Promise<void> {
    await Promise.all([page.waitForResponse((response) => response.url().endsWith('/api/reset') && response.ok()), page.getByTestId('reset').click()]);
    await page.waitForFunction(() => ['requests', 'lost', 'replayed', 'charges'].every((id) => document.getElementById(id)?.textContent === '0'));
    expect(await page.getByTestId('verdict').getAttribute('data-outcome')).toBe('none');
    expect(playground.demo.ledger.list()).toEqual([]);
  }

  it('says which store it runs on', async () => {
    await page.getByTestId('store').filter({ hasText: `store: ${store}` }).waitFor();
    expect(playground.store).toBe(store);
  });

  it.each(channels)('with a flaky network, one click through $channel sends two requests and makes one charge', async ({ channel, button }) => {
    await resetFromThePage();
    await setSwitch(page, 'idempotency', true);
    await setSwitch(page, 'flaky', true);

    const verdict = await payOnce(page, button);

    expect(verdict).toContain('Last click: 2 requests → 1 charge.');
    expect(await page.getByTestId('verdict').getAttribute('data-outcome')).toBe('once');
    expect(await displayedCounters(page)).toEqual({ requests: 2, lost: 1, replayed: 1, charges: 1 });
    expect(await page.getByTestId('log').locator('li').allTextContents()).toEqual([
      expect.stringContaining('request 1'),
      expect.stringContaining('replayed the stored result'),
    ]);
    const charges = playground.demo.ledger.list();
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ channel, amountCents: 2500, description: 'Coffee beans' });
    expect(playground.demo.counters).toEqual({ requests: 2, lostResponses: 1, replayed: 1 });
    await page.screenshot({ path: `${ARTIFACTS}/playground-${store}-${channel}-idempotent.png`, fullPage: true });
  });

  it.each(channels)('with idempotency off, the same click through $channel charges twice', async ({ channel, button }) => {
    await resetFromThePage();
    await setSwitch(page, 'flaky', true);
    await setSwitch(page, 'idempotency', false);

    const verdict = await payOnce(page, button);

    expect(verdict).toContain('Last click: 2 requests → 2 charges.');
    expect(await page.getByTestId('verdict').getAttribute('data-outcome')).toBe('duplicate');
    expect(await displayedCounters(page)).toEqual({ requests: 2, lost: 1, replayed: 0, charges: 2 });
    expect(await page.getByTestId('ledger').locator('tr.duplicate').count()).toBe(1);
    const charges = playground.demo.ledger.list();
    expect(charges).toHaveLength(2);
    expect(charges.map((charge) => charge.channel)).toEqual([channel, channel]);
    expect(charges[0]?.requestKey).toBeTypeOf('string');
    expect(charges[1]?.requestKey).toBe(charges[0]?.requestKey);
    expect(playground.demo.counters).toEqual({ requests: 2, lostResponses: 1, replayed: 0 });
    await page.screenshot({ path: `${ARTIFACTS}/playground-${store}-${channel}-unprotected.png`, fullPage: true });
  });
});
