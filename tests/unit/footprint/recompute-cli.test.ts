/** `deskprint recompute` against a real SQLite file holding demo-site raw data. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { runRecompute } from '../../../cli/commands/recompute.ts';
import { parseSiteYaml } from '../../../devices/site.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import { checkinToPoint, readingToPoint } from '../../../footprint/events.ts';
import { M_DAY } from '../../../footprint/schema.ts';
import { T, checkin, constantPower } from './helpers.ts';

const demo = parseSiteYaml(readFileSync(path.resolve('sites/demo.yaml'), 'utf8'));
const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('deskprint recompute', () => {
  it('writes the footprint of the months touched and prints a summary', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'deskprint-recompute-'));
    dirs.push(dir);
    const store = new SqliteStore({ file: path.join(dir, 'timeseries.db') });
    await store.init();
    const events = [
      ...constantPower(demo, 'plug-n01', 60, T('2025-03-10T09:00'), T('2025-03-10T12:00')),
      checkin(demo, 'm01', 'check_in', T('2025-03-10T09:00'), 'n01'),
      checkin(demo, 'm01', 'check_out', T('2025-03-10T12:00')),
    ];
    await store.write(events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
    await store.close();

    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    const code = await runRecompute(['--site', 'demo', '--from', '2025-03-10', '--to', '2025-03-11', '--data-dir', dir, '--site-file', 'sites/demo.yaml', '--quiet']);
    expect(code).toBe(0);
    const summary = JSON.parse(out.join('\n'));
    // Europe/London: March 2025 runs from 1 March 00:00 GMT to 31 March 23:00 UTC (BST).
    expect(summary.months).toEqual([{ start: '2025-03-01T00:00:00.000Z', end: '2025-03-31T23:00:00.000Z', final: true }]);
    expect(summary.worst_relative_residual).toBeLessThan(1e-9);

    const check = new SqliteStore({ file: path.join(dir, 'timeseries.db') });
    await check.init();
    const days = await check.queryRaw({ measurement: M_DAY, from: T('2025-03-01T00:00'), to: T('2025-04-01T00:00'), where: { site: 'demo', account: 'm01' } });
    // 60 W × 3 h at m01's own desk while checked in = 0.18 kWh direct.
    expect(days).toHaveLength(1);
    expect(days[0]!.fields.kwh_direct).toBeCloseTo(0.18, 9);
    expect(days[0]!.fields.final).toBe(1);
    await check.close();
  });

  it('lists every argument problem and exits 2', async () => {
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
    expect(await runRecompute(['--site', 'nowhere', '--from', 'yesterday', '--site-file', 'sites/demo.yaml'])).toBe(2);
    expect(err.join('\n')).toMatch(/--from: expected an ISO 8601/);
    expect(err.join('\n')).toMatch(/--to: required/);
    expect(err.join('\n')).toMatch(/--site: no site "nowhere"/);
  });
});
