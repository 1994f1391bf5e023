/**
 * Energy cost (METHODOLOGY.md §8) and dual Scope 2 (§9) in Chromium against the whole process
 * (demo site, whose site file prices electricity and gas in GBP and holds a REGO-backed
 * supply contract): a member sees their cost share of last month on their footprint page; a
 * facility manager sees last month's bill, itemised per carrier, and where it went (members,
 * operator, unallocated), and Scope 1 with both Scope 2 figures, each saying which it is, on
 * the impact view, with the figures the API computes. Last month holds one working day written straight into the
 * store (a desk plug counter and two check-ins), recomputed as the engine's background
 * recompute does; with the standing charges of every day of the month, it is a real bill.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../cli/log.ts';
import { ensureDashboardBuilt, startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { addDays, isoMonth, monthStart } from '../../dashboard/src/lib/time.ts';
import { checkinToPoint, readingToPoint, type EnrichedCheckin } from '../../footprint/events.ts';
import type { BillReconciliation } from '../../footprint/figures.ts';
import { recompute } from '../../footprint/recompute.ts';
import { apiToken, bearer } from '../support/auth.ts';
import { launchBrowser, signInAs } from '../support/browser.ts';
import { getJson, waitFor } from '../support/wait.ts';
import { reading } from '../unit/footprint/helpers.ts';

const TZ = 'Europe/London';
const HOUR = 3_600_000;

let dp: DeskprintHandle;
let browser: Browser | undefined;
let dataDir: string;
const tokens = { manager: '', member: '' };
const pageErrors: string[] = [];
let lastMonth: { from: number; to: number };

beforeAll(async () => {
  await ensureDashboardBuilt(createLogger('silent'));
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-e2e-cost-'));
  dp = await startDeskprint({ demo: true, httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false });
  tokens.manager = await apiToken(dp, { role: 'manager' });
  tokens.member = await apiToken(dp, { role: 'member', member: 'm01', sites: ['demo'] });
  const now = Date.now();
  lastMonth = { from: monthStart(now, TZ, -1), to: monthStart(now, TZ) };
  await writeLastMonthDay();
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await dp?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The 10th of last month: plug-n01 draws 60 Wh an hour 08–18; m01 at n01 09–17, m02 at n02 10–12. */
async function writeLastMonthDay(): Promise<void> {
  const site = dp.registry.site('demo')!;
  const day = addDays(lastMonth.from, 9, TZ);
  const points = [];
  for (let h = 8; h <= 18; h++) points.push(readingToPoint((reading(site, 'plug-n01', 'energy_wh', (h - 8) * 60, day + h * HOUR) as { reading: Parameters<typeof readingToPoint>[0] }).reading));
  const badge = (member: string, action: 'check_in' | 'check_out', hour: number, desk: string): EnrichedCheckin =>
    ({ site: 'demo', device: 'badge-north', member, action, ts: day + hour * HOUR, desk, zone: 'north' });
  for (const c of [badge('m01', 'check_in', 9, 'n01'), badge('m01', 'check_out', 17, 'n01'), badge('m02', 'check_in', 10, 'n02'), badge('m02', 'check_out', 12, 'n02')]) points.push(checkinToPoint(c));
  await dp.store.write(points);
  await recompute({ store: dp.store, site, from: lastMonth.from, to: lastMonth.to });
}

function signIn(role: 'manager' | 'member'): Promise<Page> {
  return signInAs(browser!, { httpUrl: dp.httpUrl, user: dp.demoUsers.find((u) => u.role === role)!, timeZone: TZ, errors: pageErrors });
}

async function text(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

async function api<T>(role: keyof typeof tokens, url: string): Promise<{ status: number; body: T }> {
  return getJson<T>(`${dp.httpUrl}${url}`, bearer(tokens[role]));
}

/** Emissions as the page rounds them (en-GB): three decimals under 1 kg, two under 100. */
function kg(v: number): string {
  const digits = Math.abs(v) < 1 ? 3 : Math.abs(v) < 100 ? 2 : 0;
  return `${v.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits })} kg CO₂e`;
}

/** Pounds as the page rounds them for display (en-GB): two decimals, three under £1. */
function gbp(v: number): string {
  const digits = Math.abs(v) > 0 && Math.abs(v) < 1 ? 3 : 2;
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
}

describe('energy cost in the browser', () => {
  it("shows a member their cost share of last month, as the member footprint API computes it", { timeout: 60_000 }, async () => {
    const { body } = await api<{ currency: string | null; totals: { cost: number | null; cost_pool: number | null; cost_by_carrier: Record<string, number>; final: boolean } }>(
      'member', `/api/members/m01/footprint?from=${lastMonth.from}&to=${lastMonth.to}&every=day`,
    );
    expect(body.currency).toBe('GBP');
    // Her desk's energy while present, a share of standby and of 31 (or 30) days of
    // electricity and gas standing charges: well over a pound, and final (the month closed).
    expect(body.totals.cost!).toBeGreaterThan(1);
    expect(body.totals.final).toBe(true);
    const page = await signIn('member');
    await page.getByTestId('member-month-kwh').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Previous period' }).click();
    await waitFor('last month’s cost share on screen', async () => (await page.getByTestId('member-month-cost').count()) > 0 && (await text(page, 'member-month-cost')) === gbp(body.totals.cost!), 20_000);
    expect(await text(page, 'member-cost')).toContain('GBP, VAT included · final');
    expect(await text(page, 'member-cost')).toContain(`of which pooled ${gbp(body.totals.cost_pool!)}`);
    for (const [carrier, amount] of Object.entries(body.totals.cost_by_carrier)) {
      expect(await page.locator(`[data-testid=member-cost-by-carrier] [data-carrier=${carrier}]`).textContent()).toBe(`${carrier}: ${gbp(amount)}`);
    }
    expect(pageErrors).toEqual([]);
  });

  it("shows the manager last month's bill per carrier and its reconciliation, as the impact report computes it", { timeout: 90_000 }, async () => {
    const { status, body } = await api<{ cost: BillReconciliation }>('manager', `/api/sites/demo/reports/impact?from=${lastMonth.from}&to=${lastMonth.to}&format=json`);
    expect(status).toBe(200);
    const c = body.cost;
    // The bill reconciles: Σ member shares + operator + unallocated = the bill, to 1e-9.
    expect(Math.abs(c.bill - (c.members + c.operator + c.unallocated))).toBeLessThanOrEqual(1e-9 * c.bill);
    expect(c.members).toBeGreaterThan(0);
    const page = await signIn('manager');
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Impact' }).click();
    await page.getByTestId('impact-kgco2e').waitFor({ timeout: 30_000 });
    await page.getByTestId('period-month').fill(isoMonth(lastMonth.from, TZ));
    await waitFor('last month’s bill on screen', async () => (await page.getByTestId('impact-cost-bill').count()) > 0 && (await text(page, 'impact-cost-bill')) === gbp(c.bill), 30_000);
    expect(await text(page, 'impact-cost-members')).toBe(gbp(c.members));
    expect(await text(page, 'impact-cost-operator')).toBe(gbp(c.operator));
    expect(await text(page, 'impact-cost-unallocated')).toBe(gbp(c.unallocated));
    expect(Math.abs(Number(await text(page, 'impact-cost-residual')))).toBeLessThanOrEqual(1e-9);
    for (const [carrier, b] of Object.entries(c.by_carrier)) {
      const cells = await page.locator(`[data-testid=impact-bill] tr[data-carrier=${carrier}] td`).allTextContents();
      expect(cells).toEqual([gbp(b!.energy), gbp(b!.levies), gbp(b!.standing), gbp(b!.vat), gbp(b!.total)]);
    }
    expect(await text(page, 'impact-cost')).toContain('estimated prices');
    expect(pageErrors).toEqual([]);
  });

  it('shows Scope 1 and both Scope 2 figures for last month, each with its basis, as the report computes them', async () => {
    type Scope2 = { scope1_kgco2e: number; scope2_location_kgco2e: number; scope2_market_kgco2e: number; location_basis: string; market_basis: string; by_carrier: { carrier: string; scope: number; bases: { basis: string; kwh: number }[] }[] };
    const { body } = await api<{ scope2: Scope2; energy: { kgco2e: number } }>('manager', `/api/sites/demo/reports/impact?from=${lastMonth.from}&to=${lastMonth.to}&format=json`);
    const s = body.scope2;
    // Last month lies after January 2026: the demo's REGO-backed contract covers all its
    // electricity at 0, so market-based Scope 2 is 0 while location-based is not.
    expect(s.scope2_location_kgco2e).toBeGreaterThan(0);
    expect(s.scope2_market_kgco2e).toBe(0);
    expect(s.by_carrier.find((l) => l.carrier === 'electricity')!.bases.map((b) => b.basis)).toEqual(['certificates']);
    // The inventory (location-based) is Scope 1 (gas) + Scope 2 location-based.
    expect(s.scope1_kgco2e + s.scope2_location_kgco2e).toBeCloseTo(body.energy.kgco2e, 9);
    const page = await signIn('manager');
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Impact' }).click();
    await page.getByTestId('impact-kgco2e').waitFor({ timeout: 30_000 });
    await page.getByTestId('period-month').fill(isoMonth(lastMonth.from, TZ));
    await waitFor('last month’s Scope 2 on screen', async () => (await page.getByTestId('impact-scope2-location').count()) > 0 && (await text(page, 'impact-scope2-location')) === kg(s.scope2_location_kgco2e), 30_000);
    expect(await text(page, 'impact-scope2-market')).toBe(kg(s.scope2_market_kgco2e));
    expect(await text(page, 'impact-scope1')).toBe(kg(s.scope1_kgco2e));
    const card = await text(page, 'impact-scope2');
    // Each figure says which it is: its row names the basis the report gives.
    expect(card).toContain(s.location_basis);
    expect(card).toContain(s.market_basis);
    expect(await page.locator('[data-testid=impact-scope2-bases] [data-basis=certificates]').textContent()).toContain('electricity, certificates');
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
