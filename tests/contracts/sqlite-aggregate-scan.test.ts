/**
 * The SQLite store answers windowed aggregates two ways (store/sqlite-read.ts, changed for the
 * chart benchmarks in bench/RESULTS.md): one grouped statement when windows hold few rows,
 * a scan window by window when they hold many. A chart must show the same numbers either
 * way: both are checked against aggregates computed here from the raw points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROWS_PER_WINDOW_FOR_SCANS } from '../../store/sqlite-read.ts';
import { SqliteStore } from '../../store/sqlite.ts';
import { AGGREGATES, type Aggregate, type Point } from '../../store/types.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** Not on a window boundary, so the first and last windows are partial. */
const FROM = Date.UTC(2026, 2, 2, 7, 13, 0);
const TO = FROM + 2 * DAY + 5 * 60 * MIN;

const devices = [
  { device: 'p1', zone: 'z1' },
  { device: 'p2', zone: 'z1' },
  { device: 'p3', zone: 'z2' },
];

function points(): Point[] {
  const out: Point[] = [];
  devices.forEach((d, i) => {
    // Every 5 minutes, each device offset by its own seconds so no two share a timestamp;
    // a two-hour gap on p2 leaves it out of some windows.
    for (let ts = FROM - 30 * MIN + i * 1_000; ts < TO + 30 * MIN; ts += 5 * MIN) {
      if (d.device === 'p2' && ts > FROM + 10 * 60 * MIN && ts < FROM + 12 * 60 * MIN) continue;
      out.push({ measurement: 'readings', tags: { site: 's', zone: d.zone, device: d.device }, fields: { power_w: 20 + ((ts / MIN) % 37) * 1.37 + i * 0.5 }, ts });
    }
  });
  return out;
}

/** What a window of a group must hold: every value of its devices in [from, to). */
function reference(all: Point[], fn: Aggregate, every: number, by: string[]): Map<string, Map<number, number>> {
  const groups = new Map<string, Map<number, { ts: number; v: number }[]>>();
  for (const p of all) {
    if (p.ts < FROM || p.ts >= TO) continue;
    const g = JSON.stringify(by.map((k) => p.tags[k]));
    const w = p.ts - (p.ts % every);
    if (!groups.has(g)) groups.set(g, new Map());
    const windows = groups.get(g)!;
    if (!windows.has(w)) windows.set(w, []);
    windows.get(w)!.push({ ts: p.ts, v: p.fields.power_w! });
  }
  const out = new Map<string, Map<number, number>>();
  for (const [g, windows] of groups) {
    const m = new Map<number, number>();
    for (const [w, vs] of windows) {
      const values = vs.map((x) => x.v);
      const byTime = [...vs].sort((a, b) => a.ts - b.ts);
      const sum = values.reduce((a, b) => a + b, 0);
      m.set(w, { mean: sum / values.length, sum, min: Math.min(...values), max: Math.max(...values), count: values.length, first: byTime[0]!.v, last: byTime.at(-1)!.v }[fn]);
    }
    out.set(g, m);
  }
  return out;
}

let store: SqliteStore;
const all = points();

beforeAll(async () => {
  store = new SqliteStore({ file: ':memory:' });
  await store.init();
  await store.write(all);
});

afterAll(() => store.close());

describe('SQLite windowed aggregates', () => {
  // 1 day: ~290 rows per device and window (scanned window by window);
  // 10 minutes: 2 rows (one grouped statement); 7 h 3 min: unaligned, ~85 rows.
  it('has windows on both sides of the scan threshold, so both ways are tested', () => {
    const rowsPerWindow = (every: number) => every / (5 * MIN);
    expect(rowsPerWindow(DAY)).toBeGreaterThanOrEqual(ROWS_PER_WINDOW_FOR_SCANS);
    expect(rowsPerWindow(10 * MIN)).toBeLessThan(ROWS_PER_WINDOW_FOR_SCANS);
  });
  for (const every of [DAY, 10 * MIN, 7 * 60 * MIN + 3 * MIN]) {
    for (const by of [[], ['zone'], ['device']]) {
      it(`every ${every / MIN} min by [${by.join(',')}]: every aggregate matches the raw points`, async () => {
        for (const fn of AGGREGATES) {
          const series = await store.queryAggregate({ measurement: 'readings', field: 'power_w', from: FROM, to: TO, every, fn, by, where: { site: 's' } });
          const want = reference(all, fn, every, by);
          expect(series.map((s) => JSON.stringify(by.map((k) => s.tags[k])))).toEqual([...want.keys()].sort());
          for (const s of series) {
            const w = want.get(JSON.stringify(by.map((k) => s.tags[k])))!;
            expect(s.points.map((p) => p.ts)).toEqual([...w.keys()].sort((a, b) => a - b));
            for (const p of s.points) expect(p.value, `${fn} at ${new Date(p.ts).toISOString()}`).toBeCloseTo(w.get(p.ts)!, 9);
          }
        }
      });
    }
  }
});
