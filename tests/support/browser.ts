/**
 * A real browser for e2e tests: Debian's Chromium driven by playwright-core (no bundled
 * browser download). Override the binary with DESKPRINT_CHROMIUM.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.DESKPRINT_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // --no-sandbox: CI containers run as root without user namespaces.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Signs a demo user in through the sign-in page, in a fresh en-GB context in the site's time
 * zone, and returns the page once the app shows who is signed in. Page errors are collected
 * in `errors`, prefixed with the role.
 */
export async function signInAs(
  browser: Browser,
  o: { httpUrl: string; user: { name: string; password: string; role: string }; timeZone: string; errors: string[]; viewport?: { width: number; height: number } },
): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB', viewport: o.viewport ?? { width: 1366, height: 900 }, timezoneId: o.timeZone });
  const page = await context.newPage();
  page.on('pageerror', (err) => o.errors.push(`${o.user.role}: ${err.message}`));
  await page.goto(`${o.httpUrl}/#/login`);
  await page.getByLabel('Username').fill(o.user.name);
  await page.getByLabel('Password').fill(o.user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Attached, not visible: a phone-width header hides the name and keeps the role's pages.
  await page.getByTestId('signed-in-as').waitFor({ state: 'attached', timeout: 20_000 });
  return page;
}
