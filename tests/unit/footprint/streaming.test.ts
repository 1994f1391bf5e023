/**
 * Streaming and batch agree (issue 3, item 6): the live stream, fed shuffled, duplicated
 * and late (within the lateness window) messages, writes exactly the points a batch
 * recompute derives from the raw data stored in SQLite. Also: messages later than the
 * window mark their month for recompute, and the live engine's memory stays flat.
 */
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../store/sqlite.ts';
import { recompute } from '../../../footprint/recompute.ts';
import { checkinToPoint, readingToPoint, type FootprintEvent } from '../../../footprint/events.ts';
import { SiteFootprintStream } from '../../../footprint/stream.ts';
import { createFootprintProcessor } from '../../../ingest/footprint.ts';
import type { Point } from '../../../store/types.ts';
import { T, constantPower, latest, makeSite, checkin, reading } from './helpers.ts';
import { prng, randomEvents, randomSite } from './random-site.ts';

const MIN = 60_000;

function rawPoints(events: FootprintEvent[]): Point[] {
  return events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin)));
}

/** Arrival order: each message delayed by up to `maxDelayMin`, some sent twice. */
function shuffleArrivals(events: FootprintEvent[], rand: () => number, maxDelayMin: number): FootprintEvent[] {
  const arrivals: { at: number; e: FootprintEvent }[] = [];
  for (const e of events) {
    arrivals.push({ at: e.ts + rand() * maxDelayMin * MIN, e });
    if (rand() < 0.02) arrivals.push({ at: e.ts + rand() * maxDelayMin * MIN, e }); // duplicate
  }
  return arrivals.sort((a, b) => a.at - b.at).map((a) => a.e);
}

function sorted(points: readonly Point[]): [string, Point][] {
  return [...latest(points).entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

describe('streaming and recompute', () => {
  for (const seed of [11, 12]) {
    it(`seed ${seed}: shuffled, duplicated and late messages give the batch result exactly`, async () => {
      const rand = prng(seed);
      const site = randomSite(rand);
      const from = T('2025-03-30T00:00');
      const to = T('2025-04-02T00:00');
      const events = randomEvents(site, rand, from, to);

      const store = new SqliteStore({ file: ':memory:' });
      await store.init();
      await store.write(rawPoints(events));

      const stream = new SiteFootprintStream(site);
      const live: Point[] = [];
      const arrivals = shuffleArrivals(events, rand, 8); // within the 10-min lateness window
      for (let i = 0; i < arrivals.length; i += 50) {
        for (const e of arrivals.slice(i, i + 50)) stream.push(e);
        stream.release();
        live.push(...stream.engine.drainPoints());
      }
      stream.flush(to);
      live.push(...stream.engine.drainPoints());
      expect(stream.lateEvents).toBe(0);
      // Nothing was late; but the stream began on 30 March, so it cannot know March whole
      // and flags the month for a recompute from the store when March closes.
      expect([...stream.dirtyMonths]).toEqual([T('2025-03-01T00:00')]);

      const batch = await recompute({ store, site, from, to, now: to, write: false });
      expect(batch.months.map((m) => m.final)).toEqual([true, false]); // March closed, April open
      const a = sorted(live);
      const b = sorted(batch.points);
      expect(a.length).toBeGreaterThan(500);
      expect(a.map(([k]) => k)).toEqual(b.map(([k]) => k));
      expect(a).toEqual(b);
      await store.close();
    });
  }

  it('marks the month of a message later than the lateness window for recompute', () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]);
    const stream = new SiteFootprintStream(site, { latenessMs: 10 * MIN });
    for (const e of constantPower(site, 'plug-d1', 50, T('2025-03-10T08:00'), T('2025-03-10T10:00'), 1)) stream.push(e);
    stream.release();
    // 09:00 is well behind the watermark (10:00 − 10 min): too late to merge.
    stream.push(checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'));
    expect(stream.lateEvents).toBe(1);
    expect([...stream.dirtyMonths]).toEqual([T('2025-03-01T00:00')]);
  });

  it('holds only open intervals: memory does not grow with history', () => {
    const site = makeSite([
      { id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' },
      { id: 'occ-d1', kind: 'desk_occupancy', desk: 'd1' },
    ]);
    const stream = new SiteFootprintStream(site);
    const start = T('2025-03-01T00:00');
    let maxHeld = 0;
    for (let day = 0; day < 40; day++) {
      const d0 = start + day * 86_400_000;
      for (const e of constantPower(site, 'plug-d1', 60, d0, d0 + 86_400_000 - MIN, 2)) stream.push(e);
      stream.push(checkin(site, 'm1', 'check_in', d0 + 9 * 3_600_000, 'd1'));
      stream.push(checkin(site, 'm1', 'check_out', d0 + 17 * 3_600_000));
      stream.release();
      stream.engine.drainPoints();
      maxHeld = Math.max(maxHeld, stream.engine.held.intervals);
      // Only the last few intervals (lateness + close delay) and today's month days stay.
      expect(stream.engine.held.sessions).toBeLessThanOrEqual(2);
    }
    expect(maxHeld).toBeLessThanOrEqual(4);
    expect(stream.engine.held.monthDays).toBeLessThanOrEqual(31);
  });

  it('holds in its lateness window only what can still change the footprint', () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]);
    const stream = new SiteFootprintStream(site, { latenessMs: 10 * MIN });
    const t0 = T('2025-03-10T08:00');
    // Before the plug's first counter reading reaches the engine its power readings may
    // still count (§1), so both wait.
    for (let m = 0; m < 20; m++) {
      stream.push(reading(site, 'plug-d1', 'energy_wh', 100 + m, t0 + m * MIN));
      stream.push(reading(site, 'plug-d1', 'power_w', 60, t0 + m * MIN));
      stream.push(reading(site, 'plug-d1', 'temperature_c', 21, t0 + m * MIN)); // no effect on energy
    }
    expect(stream.pending).toBe(40);
    stream.release(); // before 08:09 (08:19 − 10 min): the counter has reached the engine
    expect(stream.pending).toBe(22); // 08:09–08:19, both metrics
    // From now on the plug counts from its counter: power readings change nothing and are not held.
    for (let m = 20; m < 30; m++) {
      stream.push(reading(site, 'plug-d1', 'energy_wh', 100 + m, t0 + m * MIN));
      stream.push(reading(site, 'plug-d1', 'power_w', 60, t0 + m * MIN));
    }
    expect(stream.pending).toBe(22 + 10);
    // A repeated reading (same time) replaces the one waiting, as the store's last write wins.
    stream.push(reading(site, 'plug-d1', 'energy_wh', 200, t0 + 25 * MIN));
    expect(stream.pending).toBe(32);
    stream.flush(T('2025-03-10T09:00'));
    expect(stream.pending).toBe(0);
    // 29 Wh of steps, except that 08:25 now reads 200 (+76) and 08:26 then looks like a
    // counter reset (126 < 200: 126 Wh since the reset).
    expect(stream.engine.today(T('2025-03-10T12:00')).by_carrier.electricity).toBeCloseTo((24 + 76 + 126 + 3) / 1000, 9);
  });

  it('as an ingest processor: buffers readings, returns points from tick, reports today', async () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]);
    let now = T('2025-03-10T12:00');
    const proc = createFootprintProcessor({ sites: [site], clock: () => now });
    const readings = constantPower(site, 'plug-d1', 100, T('2025-03-10T08:00'), T('2025-03-10T12:00'), 1).map((e) => (e.type === 'reading' ? e.reading : null)!);
    proc.onReadings!(readings);
    const points = await proc.tick!(now);
    // Watermark 11:50, close delay 30 min: intervals ending by 11:20 (08:00–11:00) are done.
    const sites = points.filter((p) => p.measurement === 'footprint_site');
    expect(sites.map((p) => p.ts)).toEqual([8, 8.5, 9, 9.5, 10, 10.5].map((h) => T('2025-03-10T00:00') + h * 3_600_000));
    // Today so far: readings before the watermark (11:50) are released to the engine, the
    // last at 11:49; those still in the lateness window (11:50–11:59) are added as a
    // provisional preview, so the live figure runs to the last reading at 11:59:
    // 100 W × 3 h 59 min = 0.398333 kWh, × 0.177 kgCO2e/kWh.
    const today = proc.today('hub')!;
    expect(today.by_carrier.electricity).toBeCloseTo((100 * (3 + 59 / 60)) / 1000, 9);
    expect(today.kgco2e).toBeCloseTo(((100 * (3 + 59 / 60)) / 1000) * 0.177, 9);
    // The released part alone (what the stored series will say once the window passes):
    expect(proc.stream('hub')!.engine.today(now).by_carrier.electricity).toBeCloseTo((100 * (3 + 49 / 60)) / 1000, 9);
    // Silence for longer than the lateness window: the wall clock closes the rest of the day.
    now = T('2025-03-11T01:00');
    const later = await proc.tick!(now);
    expect(later.some((p) => p.measurement === 'footprint_day' && p.tags.account === '_unallocated')).toBe(true);
    expect(proc.today('nope')).toBeNull();
  });

  it('recomputes a closed month from the store when a message arrives after its window', async () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]);
    const store = new SqliteStore({ file: ':memory:' });
    await store.init();
    let now = T('2025-03-02T00:00');
    const proc = createFootprintProcessor({ sites: [site], store, clock: () => now, recomputeDelayMs: 60_000, warmStart: false });
    // February's last two days, streamed live and stored raw (as the ingest writer would).
    const power = constantPower(site, 'plug-d1', 100, T('2025-02-27T00:00'), T('2025-03-01T23:59'), 1);
    await store.write(rawPoints(power));
    proc.onReadings!(power.map((e) => (e.type === 'reading' ? e.reading : null)!));
    await store.write(await proc.tick!(now));
    // A check-in for 28 February, 09:00–11:00, turns up a day late.
    const late = [checkin(site, 'm1', 'check_in', T('2025-02-28T09:00'), 'd1'), checkin(site, 'm1', 'check_out', T('2025-02-28T11:00'))];
    await store.write(rawPoints(late));
    proc.onCheckins!(late.map((e) => (e.type === 'checkin' ? e.checkin : null)!));
    expect(proc.dirty()).toEqual([{ site: 'hub', from: T('2025-02-01T00:00'), to: T('2025-03-01T00:00') }]);
    now += 120_000;
    await store.write(await proc.tick!(now));
    expect(proc.dirty()).toEqual([]);
    await proc.settled(); // the recompute runs in the background
    // After the recompute, m1's 28 February: 100 W × 2 h = 0.2 kWh direct.
    const days = await store.queryRaw({ measurement: 'footprint_day', from: T('2025-02-28T00:00'), to: T('2025-03-01T00:00'), where: { site: 'hub', account: 'm1' } });
    expect(days).toHaveLength(1);
    expect(days[0]!.fields.kwh_direct).toBeCloseTo(0.2, 9);
    expect(days[0]!.fields.final).toBe(1);
    await store.close();
  });

  it('after a restart, warms up from the store and then agrees with the batch result', async () => {
    const rand = prng(21);
    const site = randomSite(rand);
    const from = T('2025-03-01T00:00');
    const to = T('2025-03-03T00:00');
    const restartAt = T('2025-03-02T12:00');
    const events = randomEvents(site, rand, from, to);
    const store = new SqliteStore({ file: ':memory:' });
    await store.init();
    await store.write(rawPoints(events));

    // The process restarts at 12:00 on 2 March: what the writer stored before then is in
    // the store; the live stream resumes with the messages of the last 10 minutes onwards.
    let now = restartAt;
    const proc = createFootprintProcessor({ sites: [site], store, clock: () => now });
    expect(await proc.tick!(now)).toEqual([]); // the warm start begins
    await proc.ready();
    const resumeFrom = restartAt - 10 * MIN;
    const live = shuffleArrivals(events.filter((e) => e.ts >= resumeFrom), rand, 8);
    const stream = proc.stream('hub')!;
    const out: Point[] = [...(await proc.tick!(now))];
    for (let i = 0; i < live.length; i += 50) {
      for (const e of live.slice(i, i + 50)) stream.push(e);
      now = Math.max(now, live[Math.min(i + 49, live.length - 1)]!.ts);
      out.push(...(await proc.tick!(now)));
    }
    stream.flush(to);
    out.push(...stream.engine.drainPoints());
    expect(stream.lateEvents).toBe(0);
    expect(proc.dirty()).toEqual([]); // it saw March whole, from the store and then live

    const batch = await recompute({ store, site, from, to, now: to, write: false });
    expect(sorted(out)).toEqual(sorted(batch.points));
    await store.close();
  });
});
