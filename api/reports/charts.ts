/**
 * The report's charts, drawn on the server as vector graphics with pdfkit's own drawing API
 * (no browser, no raster): daily energy by use, and members' actual emissions against the
 * private-office baseline range.
 */
import type { Carrier } from '../../devices/kinds.ts';
import { CARRIER_LABEL, num, shortDate } from './format.ts';
import type { CarrierUse, DailyRow } from './model.ts';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ChartFonts {
  regular: string;
  bold: string;
}

/** Segment colours: one hue per carrier, darker for the more directly attributable use. */
const PALETTE: Record<Carrier, Record<keyof CarrierUse, string>> = {
  electricity: { direct: '#1d4e89', shared: '#3f8fd2', pooled: '#a9cdee' },
  gas: { direct: '#8a3b00', shared: '#d9731a', pooled: '#f4c48c' },
  heat: { direct: '#5b1f6e', shared: '#9a4fb3', pooled: '#d6b3e2' },
};
const USE_LABEL: Record<keyof CarrierUse, string> = { direct: 'desks', shared: 'shared meters', pooled: 'standby and unmetered' };
const USES: readonly (keyof CarrierUse)[] = ['direct', 'shared', 'pooled'];

const INK = '#1b1f24';
const MUTED = '#5f6b7a';
const GRID = '#d9dee4';
const WEEKEND = '#f2f4f7';

/** A round step and top for an axis from 0 to `max` with about `ticks` divisions. */
export function niceScale(max: number, ticks = 5): { step: number; top: number } {
  if (!(max > 0)) return { step: 1, top: ticks };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  return { step, top: Math.ceil(max / step - 1e-9) * step };
}

interface Frame {
  plot: Box;
  scaleY: (v: number) => number;
  slot: number;
}

/** Axes, grid, weekend shading and date labels shared by both charts. */
function frame(doc: PDFKit.PDFDocument, box: Box, days: readonly DailyRow[], top: number, step: number, unit: string, fonts: ChartFonts): Frame {
  const digits = step < 1 ? (step < 0.1 ? 2 : 1) : 0;
  doc.font(fonts.regular).fontSize(7);
  const labelW = Math.max(...Array.from({ length: Math.round(top / step) + 1 }, (_, i) => doc.widthOfString(num(i * step, digits))));
  const plot: Box = { x: box.x + labelW + 6, y: box.y + 12, w: box.w - labelW - 6, h: box.h - 12 - 16 };
  const scaleY = (v: number) => plot.y + plot.h - (v / top) * plot.h;
  const slot = plot.w / Math.max(1, days.length);

  days.forEach((d, i) => {
    const dow = new Date(`${d.date}T12:00:00Z`).getUTCDay();
    if (dow === 0 || dow === 6) doc.rect(plot.x + i * slot, plot.y, slot, plot.h).fill(WEEKEND);
  });
  doc.lineWidth(0.5);
  for (let v = 0; v <= top + 1e-9; v += step) {
    const y = scaleY(v);
    doc.moveTo(plot.x, y).lineTo(plot.x + plot.w, y).strokeColor(GRID).stroke();
    doc.fillColor(MUTED).text(num(v, digits), box.x, y - 3.5, { width: labelW, align: 'right', lineBreak: false });
  }
  doc.fillColor(MUTED).text(unit, box.x, box.y, { lineBreak: false });
  const every = Math.max(1, Math.ceil(days.length / 10));
  days.forEach((d, i) => {
    if (i % every !== 0) return;
    doc.fillColor(MUTED).text(shortDate(d.date), plot.x + i * slot - 10, plot.y + plot.h + 4, { width: slot + 20, align: 'center', lineBreak: false });
  });
  doc.moveTo(plot.x, plot.y + plot.h).lineTo(plot.x + plot.w, plot.y + plot.h).strokeColor(MUTED).stroke();
  return { plot, scaleY, slot };
}

function legend(doc: PDFKit.PDFDocument, x: number, y: number, w: number, items: { label: string; draw: (x: number, y: number) => void }[], fonts: ChartFonts): number {
  doc.font(fonts.regular).fontSize(7.5);
  let cx = x;
  let cy = y;
  for (const it of items) {
    const width = 14 + doc.widthOfString(it.label) + 12;
    if (cx + width > x + w && cx > x) {
      cx = x;
      cy += 11;
    }
    it.draw(cx, cy + 1);
    doc.fillColor(INK).text(it.label, cx + 14, cy, { lineBreak: false });
    cx += width;
  }
  return cy + 12;
}

/** Stacked daily bars: metered energy split by carrier and use (M2 desks, M3 shared, M4 pool). */
export function drawDailyEnergyChart(doc: PDFKit.PDFDocument, box: Box, days: readonly DailyRow[], carriers: readonly Carrier[], fonts: ChartFonts): void {
  const segments = carriers.flatMap((c) => USES.map((u) => ({ c, u }))).filter(({ c, u }) => days.some((d) => (d.use[c]?.[u] ?? 0) > 0));
  const legendBottom = legend(doc, box.x, box.y, box.w, segments.map(({ c, u }) => ({
    label: `${CARRIER_LABEL[c]}: ${USE_LABEL[u]}`,
    draw: (x, y) => doc.rect(x, y, 10, 7).fill(PALETTE[c][u]),
  })), fonts);
  const max = Math.max(0, ...days.map((d) => d.kwh_total));
  const { step, top } = niceScale(max);
  const f = frame(doc, { x: box.x, y: legendBottom + 2, w: box.w, h: box.h - (legendBottom + 2 - box.y) }, days, top, step, 'kWh per day', fonts);
  const barW = Math.max(1, f.slot * 0.72);
  days.forEach((d, i) => {
    let acc = 0;
    const x = f.plot.x + i * f.slot + (f.slot - barW) / 2;
    for (const { c, u } of segments) {
      const v = d.use[c]?.[u] ?? 0;
      if (v <= 0) continue;
      const y0 = f.scaleY(acc);
      const y1 = f.scaleY(acc + v);
      doc.rect(x, y1, barW, y0 - y1).fill(PALETTE[c][u]);
      acc += v;
    }
  });
}

/**
 * Members' footprint per day (bars) against what the same member-days would have emitted
 * in private offices: the low–high range as a band, the central estimate as a line.
 */
export function drawBaselineChart(doc: PDFKit.PDFDocument, box: Box, days: readonly DailyRow[], fonts: ChartFonts): void {
  const BAND = '#cfe8d6';
  const CENTRAL = '#1e7b3c';
  const ACTUAL = '#3d4b5c';
  const legendBottom = legend(doc, box.x, box.y, box.w, [
    { label: "Members' actual footprint", draw: (x, y) => doc.rect(x, y, 10, 7).fill(ACTUAL) },
    { label: 'Private-office baseline, low–high range', draw: (x, y) => doc.rect(x, y, 10, 7).fill(BAND) },
    { label: 'Baseline, central estimate', draw: (x, y) => doc.moveTo(x, y + 3.5).lineTo(x + 10, y + 3.5).lineWidth(1.5).strokeColor(CENTRAL).stroke() },
  ], fonts);
  const max = Math.max(0, ...days.map((d) => Math.max(d.members_kgco2e, d.baseline_kgco2e.high, d.baseline_kgco2e.low)));
  const { step, top } = niceScale(max);
  const f = frame(doc, { x: box.x, y: legendBottom + 2, w: box.w, h: box.h - (legendBottom + 2 - box.y) }, days, top, step, 'kgCO2e per day', fonts);

  // The band as steps, one flat segment per day, so a day's range reads as that day's.
  const upper: [number, number][] = [];
  const lower: [number, number][] = [];
  days.forEach((d, i) => {
    const x0 = f.plot.x + i * f.slot;
    const x1 = x0 + f.slot;
    const hi = Math.max(d.baseline_kgco2e.low, d.baseline_kgco2e.high);
    const lo = Math.min(d.baseline_kgco2e.low, d.baseline_kgco2e.high);
    upper.push([x0, f.scaleY(hi)], [x1, f.scaleY(hi)]);
    lower.push([x0, f.scaleY(lo)], [x1, f.scaleY(lo)]);
  });
  if (days.length) doc.polygon(...upper, ...lower.reverse()).fill(BAND);

  const barW = Math.max(1, f.slot * 0.45);
  days.forEach((d, i) => {
    const v = d.members_kgco2e;
    if (v <= 0) return;
    const x = f.plot.x + i * f.slot + (f.slot - barW) / 2;
    doc.rect(x, f.scaleY(v), barW, f.scaleY(0) - f.scaleY(v)).fill(ACTUAL);
  });

  doc.lineWidth(1.5).strokeColor(CENTRAL);
  days.forEach((d, i) => {
    const x0 = f.plot.x + i * f.slot;
    const y = f.scaleY(d.baseline_kgco2e.central);
    if (i === 0) doc.moveTo(x0, y);
    else doc.lineTo(x0, y);
    doc.lineTo(x0 + f.slot, y);
  });
  if (days.length) doc.stroke();
  doc.lineWidth(1);
}
