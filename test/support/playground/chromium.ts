import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, installed by scripts/ensure-system-deps.sh. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Launches headless Chromium with no background traffic of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
