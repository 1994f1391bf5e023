/**
 * Today's energy as every view reads it (footprint/today.ts, issue 22), over a real SQLite
 * store (in memory) filled by a recompute: the attributed figure goes up to the last closed
 * interval and says so, last week is compared over exactly that part of the day, and the
 * live card's metered figure is the engine's, labelled as such.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../store/sqlite.ts';
import { checkinToPoint, readingToPoint } from '../../../footprint/events.ts';
import { recompute } from '../../../footprint/recompute.ts';
import { readToday } from '../../../footprint/today.ts';
import { T, constantPower, makeSite } from './helpers.ts';

const site = makeSite([{ id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' }]);
/** Monday 10 March 2025, 10:40 UTC (London is on GMT): intervals closed up to 10:00 or 10:30. */
const NOW = T('2025-03-10T10:40');
let store: SqliteStore;

beforeAll(async () => {
  store = new SqliteStore({ file: ':memory:' });
  await store.init();
  const events = [
    // Last Monday: 1 kW all day; this Monday: 2 kW from midnight until now.
    ...constantPower(site, 'main-el', 1000, T('2025-03-03T00:00'), T('2025-03-04T00:00')),
    ...constantPower(site, 'main-el', 2000, T('2025-03-10T00:00'), NOW),
  ];
  await store.write(events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
  await recompute({ store, site, from: T('2025-03-01T00:00'), to: NOW, now: NOW });
});

afterAll(async () => {
  await store.close();
});

describe("today's figures", () => {
  it('attributes today up to the last closed interval and compares last week over the same hours', async () => {
    const t = await readToday({ store, site, now: NOW });
    expect(t.attributed.basis).toBe('attributed');
    expect(t.attributed.label).toBe('attributed');
    expect(t.attributed.from).toBe(T('2025-03-10T00:00'));
    // Whole 30-minute intervals only, never past now.
    expect((t.attributed.up_to - t.attributed.from) % 1_800_000).toBe(0);
    expect(t.attributed.up_to).toBeGreaterThanOrEqual(T('2025-03-10T10:00'));
    expect(t.attributed.up_to).toBeLessThanOrEqual(NOW);
    const hours = (t.attributed.up_to - t.attributed.from) / 3_600_000;
    expect(t.attributed.kwh).toBeCloseTo(2 * hours, 6);
    // Last week: the same stretch of the day at 1 kW, so today is twice last week.
    expect(t.last_week.same_time.from).toBe(T('2025-03-03T00:00'));
    expect(t.last_week.same_time.up_to - t.last_week.same_time.from).toBe(t.attributed.up_to - t.attributed.from);
    expect(t.last_week.same_time.kwh).toBeCloseTo(hours, 6);
    expect(t.change.kwh).toBeCloseTo(1, 9);
    expect(t.last_week.whole_day.kwh).toBeCloseTo(24, 6);
    // Without a live engine there is no metered-so-far figure, rather than a made-up one.
    expect(t.metered).toBeNull();
  });

  it('has no change to show when last week has no data', async () => {
    const t = await readToday({ store, site, now: T('2025-03-03T12:00') });
    expect(t.last_week.same_time.kwh).toBe(0);
    expect(t.change).toEqual({ kwh: null, kgco2e: null });
  });
});
