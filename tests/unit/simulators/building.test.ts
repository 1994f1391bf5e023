import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../simulators/run.ts';
import { GroundTruth } from '../../../simulators/truth.ts';
import { capture, samplesByDevice, scenario, type Captured } from './support.ts';

const DAY = 86_400_000;

let week: (Captured & { samples: ReturnType<typeof samplesByDevice> }) | undefined;
/** The demo scenario, one January week (Monday to Sunday), every sample captured. */
async function demoWeek() {
  if (!week) {
    const run = await capture(scenario('sites/scenarios/demo.yaml'), '2026-01-05T00:00:00Z', '2026-01-12T00:00:00Z');
    week = { ...run, samples: samplesByDevice(run.messages) };
  }
  return week;
}

describe('building model', () => {
  it('gives a month of the demo hub electricity and heat within office benchmark ranges', async () => {
    // Energy totals need the physics, not every report: a coarser step and hourly reports
    // keep a simulated month to a second or two.
    const base = scenario('sites/scenarios/demo.yaml');
    const hourly = Object.fromEntries(Object.keys(base.devices.cadence_s).map((k) => [k, 3600])) as typeof base.devices.cadence_s;
    const sc = { ...base, step_s: 60, devices: { ...base.devices, cadence_s: hourly } };
    const truth = new GroundTruth(30 * 60_000, sc.site.timezone);
    const from = Date.parse('2026-01-01T00:00:00Z');
    const to = Date.parse('2026-02-01T00:00:00Z');
    await runScenario({ scenario: sc, from, to, speed: 'max', truth, batchS: 0, sink: { publish() {} } });
    const area = sc.site.area_m2;
    const days = (to - from) / DAY;
    const elKwh = truth.totalWh('meter-main-el') / 1000;
    const gasKwh = truth.totalWh('meter-main-gas') / 1000;
    // CIBSE TM46 general office: 95 kWh/m²/yr electricity, 120 fossil. Annualised from one
    // month (January heat runs above the annual mean), inside a wide band around those.
    const elPerM2Year = (elKwh / days) * 365 / area;
    const gasPerM2Year = (gasKwh / days) * 365 / area;
    expect(elPerM2Year).toBeGreaterThan(25);
    expect(elPerM2Year).toBeLessThan(200);
    expect(gasPerM2Year).toBeGreaterThan(40);
    expect(gasPerM2Year).toBeLessThan(300);
    // A January working day uses more than a Sunday; every day uses something.
    const dayKwh = (d: string, device: string) => truth.totalWh(device, Date.parse(`${d}T00:00:00Z`), Date.parse(`${d}T00:00:00Z`) + DAY) / 1000;
    expect(dayKwh('2026-01-07', 'meter-main-el')).toBeGreaterThan(1.5 * dayKwh('2026-01-11', 'meter-main-el'));
    expect(dayKwh('2026-01-07', 'meter-main-gas')).toBeGreaterThan(dayKwh('2026-01-11', 'meter-main-gas'));
    expect(dayKwh('2026-01-11', 'meter-main-el')).toBeGreaterThan(10);
    // Per working day, plugs of 24 desks: 30–70 W for a few hours each, kWh not tens of kWh.
    const plugs = [...truth.devices.values()].filter((d) => d.kind === 'desk_plug').reduce((s, d) => s + dayKwh('2026-01-07', d.device), 0);
    expect(plugs).toBeGreaterThan(2);
    expect(plugs).toBeLessThan(15);
  });

  it('makes each main meter the sum of its sub-meters plus an unmetered remainder', async () => {
    const { truth } = await demoWeek();
    const subs = (carrier: string) =>
      [...truth.devices.values()].filter((d) => d.carrier === carrier && d.category !== 'main').reduce((s, d) => s + truth.totalWh(d.device), 0);
    for (const carrier of ['electricity', 'gas']) {
      const main = carrier === 'electricity' ? 'meter-main-el' : 'meter-main-gas';
      const remainder = truth.totalWh(`unmetered-${carrier}`);
      expect(remainder).toBeGreaterThan(0);
      expect(remainder).toBeLessThan(0.25 * truth.totalWh(main));
      expect(truth.totalWh(main)).toBeCloseTo(subs(carrier) + remainder, 3);
    }
  });

  it('publishes counters that advance by the ground-truth energy, except across recorded resets', async () => {
    const { samples, truth } = await demoWeek();
    let checked = 0;
    for (const [device, list] of samples) {
      const counters = list.filter((s) => typeof s.energy_wh === 'number');
      if (counters.length < 2) continue;
      const resets = truth.events.filter((e) => e.type === 'counter_reset' && e.device === device).length;
      const drops = counters.filter((s, i) => i > 0 && (s.energy_wh as number) < (counters[i - 1]!.energy_wh as number)).length;
      expect(drops, device).toBe(resets);
      if (resets > 0) continue;
      const first = counters[0]!;
      const last = counters[counters.length - 1]!;
      const published = (last.energy_wh as number) - (first.energy_wh as number);
      const truthWh = truth.totalWh(device);
      // Truth also covers the minutes before the first and after the last report.
      expect(published).toBeLessThanOrEqual(truthWh + 0.05);
      expect(published).toBeGreaterThan(truthWh * 0.97 - 50);
      checked++;
    }
    expect(checked).toBeGreaterThan(25);
  });

  it('draws 30–70 W at a desk in use and 0.5–3 W on standby', async () => {
    const { samples } = await demoWeek();
    const inUse: number[] = [];
    const standby: number[] = [];
    for (const [device, list] of samples) {
      if (!device.startsWith('plug-')) continue;
      for (const s of list) ((s.power_w as number) > 10 ? inUse : standby).push(s.power_w as number);
    }
    expect(inUse.length).toBeGreaterThan(1000);
    expect(standby.length).toBeGreaterThan(1000);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(inUse)).toBeGreaterThan(30);
    expect(mean(inUse)).toBeLessThan(70);
    expect(standby.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(0.5);
    expect(standby.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(3);
  });

  it('heats and lights the zones in office hours and lets them cool at night', async () => {
    const { samples } = await demoWeek();
    const heat = samples.get('heat-north')!;
    const light = samples.get('light-north')!;
    const at = (list: typeof heat, iso: string) => list.find((s) => s.ts >= Date.parse(iso))!;
    // Wednesday 7 January 2026: 11:00 vs 03:00 local (UTC in winter).
    expect(at(heat, '2026-01-07T11:00:00Z').temperature_c as number).toBeGreaterThan(19);
    expect(at(heat, '2026-01-07T03:00:00Z').setpoint_c).toBe(15);
    expect(at(heat, '2026-01-07T03:00:00Z').power_w as number).toBeLessThan(at(heat, '2026-01-07T07:05:00Z').power_w as number);
    expect(at(light, '2026-01-07T10:00:00Z').on).toBe(true);
    // 160 m² at 8 W/m² when on. At 03:00 the lights are mostly off; some nights a zone is left lit.
    for (const s of light) expect(s.power_w).toBe(s.on ? 1280 : 0);
    const nights = ['north', 'south', 'loft'].flatMap((z) =>
      ['05', '06', '07', '08', '09', '10', '11'].map((d) => at(samples.get(`light-${z}`)!, `2026-01-${d}T03:00:00Z`).on),
    );
    expect(nights.filter(Boolean).length).toBeLessThan(nights.length / 2);
  });

  it('records presence in the ground truth exactly as the check-ins published', async () => {
    const { messages, truth } = await demoWeek();
    const published = messages
      .map((m) => ({ m, body: JSON.parse(m.payload) as { ts: number; member?: string; action?: string; desk?: string } }))
      .filter(({ body }) => body.member !== undefined)
      .map(({ m, body }) => `${body.ts} ${body.member} ${body.action} ${m.device} ${body.desk ?? '-'}`);
    const fromSessions: string[] = [];
    for (const s of truth.sessions) {
      if (!s.reader) continue;
      const desk = s.reader === 'badge-entrance' ? '-' : (s.desk ?? '-');
      fromSessions.push(`${s.arrive} ${s.member} check_in ${s.reader} ${desk}`);
      if (s.checked_out) fromSessions.push(`${s.leave} ${s.member} check_out ${s.reader} ${desk}`);
    }
    expect(published.length).toBeGreaterThan(150);
    expect([...published].sort()).toEqual([...fromSessions].sort());
    // Some forget to check out; some badge in at the entrance, naming no desk.
    expect(truth.sessions.some((s) => s.leave !== null && !s.checked_out)).toBe(true);
    expect(published.some((p) => p.includes('badge-entrance -'))).toBe(true);
    expect(published.some((p) => /badge-(north|south|loft) [nsl]0\d$/.test(p))).toBe(true);
    // Nobody sits at two desks at once, and no desk holds two members at once.
    const byDesk = new Map<string, Array<[number, number]>>();
    for (const s of truth.sessions) if (s.desk) byDesk.set(s.desk, [...(byDesk.get(s.desk) ?? []), [s.arrive, s.leave ?? Infinity]]);
    for (const [, spans] of byDesk) {
      spans.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    }
  });

  it('reports at each kind\'s cadence and drains batteries', async () => {
    const { samples } = await demoWeek();
    const gaps = (device: string) => {
      const ts = samples.get(device)!.map((s) => s.ts);
      return ts.slice(1).map((t, i) => t - ts[i]!).sort((a, b) => a - b);
    };
    const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
    expect(median(gaps('plug-n01'))).toBeGreaterThan(27_000);
    expect(median(gaps('plug-n01'))).toBeLessThan(33_000);
    expect(median(gaps('heat-loft'))).toBeGreaterThan(54_000);
    expect(median(gaps('meter-main-el'))).toBeLessThan(33_000);
    const battery = samples.get('occ-s03')!.map((s) => s.battery_pct as number);
    expect(battery[battery.length - 1]!).toBeLessThan(battery[0]!);
  });
});

describe('ground truth per member and day', () => {
  it('gives each member-day the hours present and the desk energy drawn while holding the desk', async () => {
    const { truth, samples } = await demoWeek();
    const days = truth.memberDays(Date.parse('2026-01-12T00:00:00Z'));
    const wednesday = days.filter((d) => d.date === '2026-01-07');
    expect(wednesday.length).toBeGreaterThan(10);
    for (const d of wednesday) {
      expect(d.present_h).toBeGreaterThan(0);
      expect(d.present_h).toBeLessThanOrEqual(24);
      expect(d.at_desk_h).toBeLessThanOrEqual(d.present_h + 1e-9);
      // 30–70 W in use, standby at lunch: between 0.5 W and 80 W on average while present.
      if (d.desk_wh > 0) {
        expect(d.desk_wh / d.present_h).toBeLessThan(80);
        expect(d.desk_wh / d.present_h).toBeGreaterThan(0.5);
      }
    }
    // Desk energy held by members never exceeds what the desk plugs measured that week.
    const plugWh = [...samples.keys()].filter((k) => k.startsWith('plug-')).reduce((s, k) => s + truth.totalWh(k), 0);
    const heldWh = days.reduce((s, d) => s + d.desk_wh, 0);
    expect(heldWh).toBeGreaterThan(0.5 * plugWh);
    expect(heldWh).toBeLessThan(plugWh);
  });
});
