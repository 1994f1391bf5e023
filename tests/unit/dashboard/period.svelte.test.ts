/**
 * Period navigation on the footprint views (issue 22), as Home Assistant's energy dashboard
 * steps through periods: previous / next and a month picker, in the site's local months,
 * never into the future. Fake API and a fixed clock; the managers' runes run as compiled.
 */
import { describe, expect, it } from 'vitest';
import type { MemberCheckinsResponse } from '../../../devices/api-types.ts';
import type { FootprintFigures, MemberFootprintResponse } from '../../../dashboard/src/lib/api/types.ts';
import type { ViewsApi } from '../../../dashboard/src/lib/api/views.ts';
import { MemberFootprint } from '../../../dashboard/src/lib/managers/member-footprint.svelte.ts';
import { MonthPeriod } from '../../../dashboard/src/lib/managers/month-period.svelte.ts';
import { SiteImpact } from '../../../dashboard/src/lib/managers/site-impact.svelte.ts';

const TZ = 'Europe/London';
// Monday 7 December 2026, 10:15 in London (UTC in winter).
const NOW = Date.UTC(2026, 11, 7, 10, 15);
const clock = () => NOW;

function figures(kwh: number): FootprintFigures {
  const s = { low: 0, central: 0, high: 0 };
  return { kwh: {}, kwh_pool_by_carrier: {}, kwh_total: kwh, kwh_direct: 0, kwh_shared: 0, kwh_pool: kwh, kgco2e: kwh * 0.2, grid_kgco2e: 0, hours: kwh, baseline_kgco2e: s, avoided_kgco2e: s, reduction: s, final: false, days: 1 } as unknown as FootprintFigures;
}

/** A member API whose month figures name their month: kWh = the month's number (Nov = 11). */
function memberApi(asked: { what: string; from: number; to: number }[]): Pick<ViewsApi, 'memberFootprint' | 'memberCheckins' | 'siteFootprint'> {
  const monthNo = (ts: number) => new Date(ts + 12 * 3_600_000).getUTCMonth() + 1;
  return {
    memberFootprint: async (member, r) => {
      asked.push({ what: 'footprint', from: r.from, to: r.to });
      const kwh = r.to - r.from <= 86_400_000 ? 0.5 : monthNo(r.from);
      return { member, sites: ['demo'], from: r.from, to: r.to, every: 'day', buckets: [{ ...figures(kwh), start: r.from }], totals: figures(kwh), method: { factor_sets: [], baseline: [], engine_version: 't' } } as unknown as MemberFootprintResponse;
    },
    memberCheckins: async (member, r) => {
      asked.push({ what: 'checkins', from: r.from, to: r.to });
      const session = { site: 'demo', desk: 'n01', zone: 'north', device: 'badge-north', day: '', from: r.from + 9 * 3_600_000, to: r.from + 17 * 3_600_000, ended_by: 'check_out' as const };
      return { member, from: r.from, to: r.to, events: [], sessions: [session] } satisfies MemberCheckinsResponse;
    },
    siteFootprint: async (site, r) => ({ site, from: r.from, to: r.to, totals: { by_carrier: {}, kwh: 1, kgco2e: 1 }, data_quality: { measured_share: {}, sensor_confirmed_share: null, provisional: true } }) as unknown as Awaited<ReturnType<ViewsApi['siteFootprint']>>,
  };
}

describe('a month period', () => {
  it('starts on the current local month, steps back and forth, and never past the current month', () => {
    const p = new MonthPeriod(TZ, clock);
    expect(p.label).toBe('December 2026');
    expect(p.value).toBe('2026-12');
    expect(p.isCurrent).toBe(true);
    expect(p.canGoNext).toBe(false);
    expect(p.range()).toEqual([Date.UTC(2026, 11, 1), NOW]);
    p.next();
    expect(p.value).toBe('2026-12');
    p.previous();
    expect(p.label).toBe('November 2026');
    expect(p.range()).toEqual([Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 1)]);
    expect(p.canGoNext).toBe(true);
    // Across the clocks going back: October starts at 23:00 UTC on 30 September (BST).
    p.previous();
    expect(p.from).toBe(Date.UTC(2026, 8, 30, 23));
    p.current();
    expect(p.isCurrent).toBe(true);
  });

  it('picks a month from the picker and refuses a month ahead or a malformed value', () => {
    const p = new MonthPeriod(TZ, clock);
    expect(p.pick('2026-03')).toBeNull();
    expect(p.label).toBe('March 2026');
    expect(p.pick('2027-01')).toBe('That month has not started yet.');
    expect(p.pick('2026-13')).toBe('Choose a month.');
    expect(p.label).toBe('March 2026');
    expect(p.max).toBe('2026-12');
  });
});

describe('the member footprint view', () => {
  it('shows the previous month when asked: its figures, trend and check-ins, with today kept', async () => {
    const asked: { what: string; from: number; to: number }[] = [];
    const view = new MemberFootprint('demo', 'm01', TZ, memberApi(asked), clock);
    await view.refresh();
    expect(view.month!.kwh_total).toBe(12);
    expect(view.ranges!.month).toEqual([Date.UTC(2026, 11, 1), NOW]);
    asked.length = 0;
    const shown = view.previousMonth();
    expect(view.switching).toBe(true);
    expect(view.period.label).toBe('November 2026');
    await shown;
    expect(view.switching).toBe(false);
    expect(view.month!.kwh_total).toBe(11);
    expect(view.today!.kwh_total).toBe(0.5);
    expect(view.ranges!.month).toEqual([Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 1)]);
    expect(asked).toContainEqual({ what: 'checkins', from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) });
    expect(view.checkins[0]!.from).toBe(Date.UTC(2026, 10, 1, 9));
    // The periodic refresh keeps the chosen month.
    await view.refresh();
    expect(view.month!.kwh_total).toBe(11);
    await view.nextMonth();
    expect(view.month!.kwh_total).toBe(12);
    expect(view.pickMonth('2027-02')).toBe('That month has not started yet.');
    await view.pickMonth('2026-06');
    expect(view.month!.kwh_total).toBe(6);
  });

  it('shows the later answer when months are clicked through faster than the API answers', async () => {
    const asked: { what: string; from: number; to: number }[] = [];
    const api = memberApi(asked);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { ...api, memberFootprint: async (m: string, r: { from: number; to: number; every: 'day' | 'week' | 'month' }) => {
      if (r.from === Date.UTC(2026, 10, 1)) await gate;
      return api.memberFootprint(m, r);
    } };
    const view = new MemberFootprint('demo', 'm01', TZ, slow, clock);
    await view.refresh();
    const november = view.previousMonth();
    const october = view.previousMonth();
    await october;
    release();
    await november;
    expect(view.period.label).toBe('October 2026');
    expect(view.month!.kwh_total).toBe(10);
  });
});

describe('the impact view (managers and funders)', () => {
  function impactView(asked: { from: number; to: number }[]) {
    return new SiteImpact('demo', TZ, { impact: async (_s, r) => { asked.push(r); return { period: { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() } } as never; }, reports: async () => [] }, clock);
  }

  it('steps a month back from "this month", then month by month, and picks a month', async () => {
    const asked: { from: number; to: number }[] = [];
    const impact = impactView(asked);
    await impact.choosePreset('this_month');
    expect(impact.label).toBe('December 2026');
    expect(impact.canGoNext).toBe(false);
    await impact.step(-1);
    expect(impact.label).toBe('November 2026');
    expect(impact.period.preset).toBe('month');
    expect(asked.at(-1)).toEqual({ from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) });
    await impact.step(-1);
    expect(asked.at(-1)).toEqual({ from: Date.UTC(2026, 9, 1, -1), to: Date.UTC(2026, 10, 1) });
    await impact.step(1);
    expect(impact.label).toBe('November 2026');
    expect(impact.canGoNext).toBe(true);
    await impact.chooseMonth('2026-02');
    expect(asked.at(-1)).toEqual({ from: Date.UTC(2026, 1, 1), to: Date.UTC(2026, 2, 1) });
    expect(impact.chooseMonth('2027-01')).toBe('That month has not started yet.');
  });

  it('steps "last 30 days" by 30 days, and not past today', async () => {
    const asked: { from: number; to: number }[] = [];
    const impact = impactView(asked);
    await impact.choosePreset('last_30_days');
    const { from, to } = impact.period;
    await impact.step(-1);
    expect(impact.period.to).toBe(from);
    expect(impact.period.from).toBe(Date.UTC(2026, 9, 8, 23));
    expect(impact.label).toContain('2026 – ');
    await impact.step(1);
    await impact.step(1);
    expect(impact.period.to).toBe(to);
    expect(impact.canGoNext).toBe(false);
  });
});
