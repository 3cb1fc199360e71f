import type { Browser, Page } from 'playwright-core';

/** The page's switches, as the test sets them by clicking. */
export interface Switches {
  idempotency: boolean;
  flaky: boolean;
  wait: boolean;
}

/** One HTTP attempt in the client log, as the page shows it. */
export interface ShownAttempt {
  label: string;
  status: string;
  replayed: boolean;
}

/** How a list item or tile is coloured: the `data-tone` the page gave it, and the colours the stylesheet made of that. */
export interface ShownTone {
  text: string;
  tone: string;
  color: string;
  background: string;
}

/** The colours of what the page shows after a run. */
export interface ShownColours {
  /** The Charges tile. */
  chargesTile: ShownTone;
  /** The client log's lines that end a call ("paid", "charged twice", "failed"). */
  results: ShownTone[];
  /** The server log's `charged` lines. */
  serverCharges: ShownTone[];
  /** The ledger's rows. */
  ledgerRows: ShownTone[];
}

/** Drives the playground page the way a person does: clicks, then reads what is on screen. */
export interface PageDriver {
  page: Page;
  setSwitches(switches: Switches): Promise<void>;
  chooseChannel(channel: 'graphql' | 'trpc'): Promise<void>;
  /** Clicks Reset and waits until the counters are zero and every empty state shows. */
  reset(): Promise<void>;
  /** Clicks a scenario button and waits for its verdict; resolves with the verdict's outcome and text. */
  run(scenario: 'pay' | 'double' | 'reuse' | 'crash'): Promise<{ outcome: string; text: string }>;
  counters(): Promise<
    Record<'requests' | 'lost' | 'replayed' | 'conflicts' | 'mismatches' | 'takeovers' | 'charges', number>
  >;
  attempts(): Promise<ShownAttempt[]>;
  /** The client log's click headers (the switches each click ran with). */
  clickHeaders(): Promise<string[]>;
  /** The server log, one `kind` per line, with the instance: "A:charged". */
  serverKinds(): Promise<string[]>;
  ledgerRows(): Promise<number>;
  /** Whether the page is wider than the viewport (it scrolls sideways). */
  scrollsSideways(): Promise<boolean>;
  screenshot(name: string): Promise<void>;
  colours(): Promise<ShownColours>;
  /** The logs (client, server) that scroll inside their own box, so the line at their top edge shows cut. */
  logsScrolledInside(): Promise<string[]>;
  /** Reloads the page and waits until it shows the server's state again. */
  reload(): Promise<void>;
}

/** Opens the page at `url` in a new browser context, with a viewport `width` pixels wide. */
export async function openPage(browser: Browser, url: string, width: number, artifacts: string): Promise<PageDriver> {
  return drivePage(await browser.newPage({ viewport: { width, height: 900 } }), url, artifacts);
}

/** Opens the page at `url` in `page` (a second tab of a context, say) and drives it. */
export async function drivePage(page: Page, url: string, artifacts: string): Promise<PageDriver> {
  const loaded = () =>
    page
      .getByTestId('store')
      .filter({ hasText: /store: (memory|redis|postgres)/ })
      .waitFor();
  await page.goto(url);
  await loaded();

  async function setSwitch(name: keyof Switches, on: boolean): Promise<void> {
    await page.getByTestId(name).setChecked(on); // the page's own switches: nothing goes to the server
  }

  return {
    page,
    async setSwitches(switches) {
      for (const name of ['idempotency', 'flaky', 'wait'] as const) await setSwitch(name, switches[name]);
    },
    async chooseChannel(channel) {
      await page.getByTestId(`channel-${channel}`).check();
    },
    async reset() {
      await Promise.all([
        page.waitForResponse((response) => response.url().endsWith('/api/reset') && response.ok()),
        page.getByTestId('reset').click(),
      ]);
      await page.waitForFunction(() =>
        ['requests', 'lost', 'replayed', 'conflicts', 'mismatches', 'takeovers', 'charges'].every(
          (id) => document.getElementById(id)?.textContent === '0',
        ),
      );
      for (const id of ['client-log-empty', 'server-log-empty', 'ledger-empty']) await page.getByTestId(id).waitFor();
    },
    async run(scenario) {
      await page.getByTestId(`scenario-${scenario}`).click();
      const verdict = page.locator(
        `[data-testid="verdict"][data-scenario="${scenario}"]:not([data-outcome="running"]):not([data-outcome="none"])`,
      );
      await verdict.waitFor({ timeout: 90_000 }); // generous: a busy machine runs five pages at once
      return { outcome: (await verdict.getAttribute('data-outcome')) ?? '', text: (await verdict.textContent()) ?? '' };
    },
    async counters() {
      const read = async (id: string) => Number(await page.getByTestId(id).textContent());
      return {
        requests: await read('requests'),
        lost: await read('lost'),
        replayed: await read('replayed'),
        conflicts: await read('conflicts'),
        mismatches: await read('mismatches'),
        takeovers: await read('takeovers'),
        charges: await read('charges'),
      };
    },
    attempts: () =>
      page.locator('[data-testid="client-log"] li.attempt').evaluateAll((items) =>
        items.map((item) => ({
          label: (item as HTMLElement).dataset.label ?? '',
          status: (item as HTMLElement).dataset.status ?? '',
          replayed: (item as HTMLElement).dataset.replayed === 'true',
        })),
      ),
    clickHeaders: () => page.locator('[data-testid="client-log"] li.click').allTextContents(),
    serverKinds: () =>
      page
        .locator('[data-testid="server-log"] li')
        .evaluateAll((items) =>
          items.map((item) => `${(item as HTMLElement).dataset.instance}:${(item as HTMLElement).dataset.kind}`),
        ),
    ledgerRows: () => page.locator('[data-testid="ledger"] tr').count(),
    scrollsSideways: () => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth),
    async screenshot(name) {
      await page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
    },
    logsScrolledInside: () =>
      page
        .locator('ol.log')
        .evaluateAll((lists) =>
          lists.filter((list) => list.scrollHeight > list.clientHeight + 1).map((list) => list.id),
        ),
    async reload() {
      await page.reload();
      await loaded();
    },
    async colours() {
      const read = (selector: string) =>
        page.locator(selector).evaluateAll((items) =>
          items.map((item) => {
            const style = getComputedStyle(item);
            return {
              text: item.textContent ?? '',
              tone: (item as HTMLElement).dataset.tone ?? '',
              color: style.color,
              background: style.backgroundColor,
            };
          }),
        );
      const [chargesTile] = await read('.counters .total');
      if (!chargesTile) throw new Error('the page has no Charges tile');
      return {
        chargesTile,
        results: await read('[data-testid="client-log"] li.result'),
        serverCharges: await read('[data-testid="server-log"] li[data-kind="charged"]'),
        ledgerRows: await read('[data-testid="ledger"] tr'),
      };
    },
  };
}

/** The scenario buttons whose label takes more than one line. */
export function wrappedButtons(page: Page): Promise<string[]> {
  return page.locator('button[data-scenario], [data-testid="reset"]').evaluateAll((buttons) =>
    buttons
      .filter((button) => {
        const range = document.createRange();
        range.selectNodeContents(button);
        const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        return lines.size > 1 || button.scrollWidth > button.clientWidth;
      })
      .map((button) => button.textContent ?? ''),
  );
}
