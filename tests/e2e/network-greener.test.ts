/**
 * The network view and the member view's greener hours in Chromium.
 *
 * Network: the view in Chromium against the whole process (METHODOLOGY §11): a funder of
 * sites A and B signs in, finds "Network" in the navigation, and sees A and B side by side
 * with the network total, worked by hand in tests/unit/reports/network.test.ts; site C, which
 * the same server holds, appears nowhere, nor does any member's name. The PDF the view links
 * to is the network report. The three sites' last two days are written to the store and
 * recomputed first. Saves a screenshot under test-results/.
 *
 * Greener hours: a manager's script sends the simulated Carbon Intensity API forecast
 * (POST /api/sites/ancoats/grid-forecast); the member signs in and sees the coming greener
 * windows the API gives, beside the annual factor (METHODOLOGY §3).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../cli/log.ts';
import { ROOT, ensureDashboardBuilt, startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { NETWORK_MEMBER_NAMES, siteA, siteB, siteC, writeNetwork } from '../unit/footprint/normalised-fixture.ts';
import type { GreenerHours } from '../../footprint/greener-hours.ts';
import { simulatedForecast } from '../../simulators/grid-forecast.ts';
import { apiToken, bearer } from '../support/auth.ts';
import { launchBrowser } from '../support/browser.ts';

const DAY = 86_400_000;
const PASSWORD = 'network e2e password';
let dp: DeskprintHandle;
let browser: Browser | undefined;
let dataDir: string;

beforeAll(async () => {
  await ensureDashboardBuilt(createLogger('silent'));
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-e2e-network-'));
  // The fixture's sites as site files (JSON is YAML).
  const files = [siteA, siteB, siteC].map((s) => {
    const f = path.join(dataDir, `${s.id}.yaml`);
    writeFileSync(f, JSON.stringify(s));
    return f;
  });
  dp = await startDeskprint({ sites: files, httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false });
  await dp.accounts.addUser({ name: 'funder-ab', role: 'funder', sites: ['ancoats', 'bedminster'], password: PASSWORD });
  await dp.accounts.addUser({ name: 'member-a', role: 'member', sites: ['ancoats'], member: 'm1', password: PASSWORD });
  // The two whole UTC days before today: inside the view's default "last 30 days".
  const today = Math.floor(Date.now() / DAY) * DAY;
  const first = new Date(today - 2 * DAY).toISOString().slice(0, 10);
  await writeNetwork(dp.store, first, today - 40 * DAY, Date.now());
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await dp?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A signed-in page of `name` (UTC, en-GB), and the page errors it raises. */
async function signIn(name: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser!.newContext({ locale: 'en-GB', viewport: { width: 1366, height: 1000 }, timezoneId: 'UTC', acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${dp.httpUrl}/#/login`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return { page, errors };
}

describe('network view', () => {
  it('shows a funder their sites side by side with the network total, and nothing of site C', async () => {
    const { page, errors } = await signIn('funder-ab');
    await page.getByRole('link', { name: 'Network' }).click();
    await page.getByTestId('network-sites').waitFor({ timeout: 30_000 });

    // Side by side: A and B, never C.
    const headers = await page.getByTestId('network-sites').locator('thead th').allTextContents();
    expect(headers.map((h) => h.trim())).toEqual(['Indicator', 'Ancoats Hub', 'Bedminster Loft', 'Network']);
    const row = async (label: string) => {
      const tr = page.getByTestId('network-sites').locator('tbody tr').filter({ has: page.locator('th', { hasText: new RegExp(`^${label}`) }) });
      expect(await tr.count(), `${label} in ${JSON.stringify(await page.getByTestId('network-sites').locator('tbody th').allTextContents())}`).toBe(1);
      return (await tr.locator('td').allInnerTexts()).map((c) => c.trim());
    };
    // Worked by hand (network.test.ts, METHODOLOGY §11): A 262.8, B 21.9, network 102.2 kWh/m²/yr.
    expect(await row('Energy per m² per year ·')).toEqual(['262.8', '21.9', '102.2']);
    expect(await row('Energy per m² per year, weather-normalised')).toEqual(['216.9', '21.9', '86.9']);
    expect(await row('Energy per occupied desk-hour')).toEqual(['7.200', '6.000', '7.000']);
    expect(await row('Energy per member-day')).toEqual(['48.00', '24.00', '42.00']);
    expect(await row('Heating per degree day')).toEqual(['6.40', 'n/a', '—']);
    expect(await page.getByTestId('network-per-m2').innerText()).toMatch(/^102\.2/);
    expect(await page.getByTestId('network-per-member-day').innerText()).toMatch(/^42\.00/);

    // What the page shows is what the API gives this funder.
    const api = await page.evaluate(async () => (await fetch(`/api/network?from=${Date.now() - 29 * 86_400_000}`)).status);
    expect(api).toBe(200);
    const body = await page.locator('body').innerText();
    expect(body).not.toMatch(/Carlisle/);
    for (const name of NETWORK_MEMBER_NAMES) expect(body).not.toContain(name);

    mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'network-view.png'), fullPage: true });

    // The view's PDF link downloads the network report of the same period.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('network-download-pdf').click()]);
    const file = path.join(dataDir, 'network.pdf');
    await download.saveAs(file);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toMatch(/Ancoats Hub\s+Bedminster Loft/);
    expect(text).toContain('102.2 kWh/m²');
    expect(text).not.toMatch(/Carlisle/);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});

/** A number as the page rounds it (en-GB). */
function en(v: number, digits: number): string {
  return v.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

describe('normalised indicators on the impact view', () => {
  it("shows one site's indicators, worked by hand, as its impact report computes them", async () => {
    const { page, errors } = await signIn('funder-ab');
    await page.goto(`${dp.httpUrl}/#/sites/ancoats/impact`);
    const card = page.getByTestId('impact-indicators');
    await card.waitFor({ timeout: 30_000 });
    const row = async (testId: string) => (await card.getByTestId(testId).locator('td').allInnerTexts()).map((c) => c.trim());
    // Site A worked by hand (tests/unit/reports/network.test.ts, METHODOLOGY §10): the same
    // figures as its column of the network view, here with their units.
    expect(await row('indicator-per-m2-yr')).toEqual([expect.stringMatching(/^262\.8 kWh\/m²$/), expect.stringMatching(/ kg CO₂e\/m²$/)]);
    expect((await row('indicator-weather-normalised'))[0]).toBe('216.9 kWh/m²');
    expect((await row('indicator-per-desk-hour'))[0]).toBe('7.200 kWh');
    expect((await row('indicator-per-member-day'))[0]).toBe('48.00 kWh');
    expect((await row('indicator-per-hdd'))[0]).toBe('6.40 kWh/HDD');
    // And they are the report's: the emissions cells too.
    const from = await page.evaluate(() => Date.now() - 29 * 86_400_000);
    const report = (await page.evaluate(async (f) => (await fetch(`/api/sites/ancoats/reports/impact?from=${f}&format=json`)).json(), from)) as { indicators: { per_m2_yr: { kgco2e: number }; per_member_day: { kgco2e: number } } };
    expect((await row('indicator-per-m2-yr'))[1]).toBe(`${en(report.indicators.per_m2_yr.kgco2e, 2)} kg CO₂e/m²`);
    expect((await row('indicator-per-member-day'))[1]).toBe(`${en(report.indicators.per_member_day.kgco2e, 3)} kg CO₂e`);
    expect(await card.getByTestId('indicator-basis').innerText()).toMatch(/covered days \(of \d+\); days without footprint data are left out, not counted as zero\. Heating: gas as space heating/);
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'impact-indicators.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});

describe('greener hours on the member view', () => {
  it('shows the member the coming low-carbon hours of the forecast, beside the annual factor', async () => {
    const manager = await apiToken(dp, { role: 'manager' });
    const sent = await fetch(`${dp.httpUrl}/api/sites/ancoats/grid-forecast`, {
      method: 'POST', headers: { ...bearer(manager).headers, 'content-type': 'application/json' }, body: JSON.stringify(simulatedForecast(Date.now())),
    });
    expect(sent.status).toBe(200);
    const { page, errors } = await signIn('member-a');
    const card = page.getByTestId('greener-hours');
    await card.waitFor({ timeout: 30_000 });
    // What the card lists is what the API gives this member.
    const api = (await page.evaluate(async () => (await fetch('/api/sites/ancoats/greener-hours')).json())) as GreenerHours;
    expect(api.windows.length).toBeGreaterThan(0);
    const shown = await card.getByTestId('greener-window').allInnerTexts();
    expect(shown).toHaveLength(Math.min(4, api.windows.length));
    shown.forEach((text, k) => {
      const w = api.windows[k]!;
      const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
      expect(text).toContain(`${hhmm(w.from)}–${hhmm(w.to)}`);
      expect(text).toContain(`${Math.round(w.mean_g_per_kwh)} g CO₂/kWh`);
    });
    // The annual factor of the footprint stays beside the forecast, and the supplementary figure has its own line.
    expect(await card.innerText()).toContain('annual factor of 177 g CO₂e/kWh');
    expect(await card.getByTestId('greener-grid').innerText()).toBe('no grid readings');
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'member-greener-hours.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
