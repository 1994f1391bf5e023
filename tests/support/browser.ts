/**
 * A real browser for e2e tests: Debian's Chromium driven by playwright-core (no bundled
 * browser download). Override the binary with DESKPRINT_CHROMIUM.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.DESKPRINT_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // --no-sandbox: CI containers run as root without user namespaces.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
