/**
 * Number and time formatting in the browser's locale (`undefined` locale = the user's).
 * Power arrives in W; people read a building's power in kW. Intl has no sanctioned
 * "kilowatt" unit (ECMA-402 §6.6.2), so the unit text is appended, not localised.
 */

const cache = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    cache.set(key, format);
  }
  return format;
}

/** The number part of a power figure in kW: two decimals below 100 kW, so a 10 W change shows. */
export function kilowattsNumber(watts: number, locale?: string): string {
  const kw = watts / 1000;
  const digits = Math.abs(kw) < 100 ? 2 : 1;
  return numberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(kw);
}

export function formatKilowatts(watts: number, locale?: string): string {
  return `${kilowattsNumber(watts, locale)} kW`;
}

export function formatWatts(watts: number, locale?: string): string {
  return Math.abs(watts) >= 1000 ? formatKilowatts(watts, locale) : `${numberFormat(locale, { maximumFractionDigits: 0 }).format(watts)} W`;
}

export function formatDecimal(value: number, fractionDigits: number, locale?: string): string {
  return numberFormat(locale, { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }).format(value);
}

export function formatInteger(value: number, locale?: string): string {
  return numberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

export function formatCelsius(celsius: number, locale?: string): string {
  return numberFormat(locale, { style: 'unit', unit: 'celsius', maximumFractionDigits: 1 }).format(celsius);
}

const clockCache = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock time at the site (not the viewer's zone): "14:05". */
export function formatClock(epochMs: number, timeZone: string | undefined, locale?: string): string {
  const key = `${locale ?? ''}|${timeZone ?? ''}`;
  let format = clockCache.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone });
    clockCache.set(key, format);
  }
  return format.format(epochMs);
}

const timeCache = new Map<string, Intl.DateTimeFormat>();

/** "14:05:31" at the site. */
export function formatTimeOfDay(epochMs: number, timeZone: string | undefined, locale?: string): string {
  const key = `${locale ?? ''}|${timeZone ?? ''}`;
  let format = timeCache.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone });
    timeCache.set(key, format);
  }
  return format.format(epochMs);
}

/** Energy: "12.3 kWh"; three decimals under 1 kWh so a member's day does not read as zero. */
export function formatKwh(kwh: number, locale?: string): string {
  const digits = Math.abs(kwh) < 1 ? 3 : Math.abs(kwh) < 100 ? 1 : 0;
  return `${formatDecimal(kwh, digits, locale)} kWh`;
}

/** Emissions: "4.56 kg CO₂e"; tonnes from 10 t up. */
export function formatKgCo2e(kg: number, locale?: string): string {
  if (Math.abs(kg) >= 10_000) return `${formatDecimal(kg / 1000, 1, locale)} t CO₂e`;
  const digits = Math.abs(kg) < 1 ? 3 : Math.abs(kg) < 100 ? 2 : 0;
  return `${formatDecimal(kg, digits, locale)} kg CO₂e`;
}

/**
 * Money in an ISO 4217 currency, rounded for display only (METHODOLOGY §8): "£12.34".
 * Below one unit, three decimals, so a member's day of a few pence does not read as £0.00.
 */
export function formatMoney(amount: number, currency: string, locale?: string): string {
  const digits = Math.abs(amount) > 0 && Math.abs(amount) < 1 ? 3 : 2;
  return numberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amount);
}

export function formatPercent(share: number, locale?: string, fractionDigits = 0): string {
  return numberFormat(locale, { style: 'percent', minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }).format(share);
}

/** Signed change as a percentage: "+12 %", "−8 %". */
export function formatChange(share: number, locale?: string): string {
  return numberFormat(locale, { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 0 }).format(share);
}

const dateTimeCache = new Map<string, Intl.DateTimeFormat>();

function dateTimeFormat(locale: string | undefined, timeZone: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${timeZone ?? ''}|${JSON.stringify(options)}`;
  let f = dateTimeCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    dateTimeCache.set(key, f);
  }
  return f;
}

/** "Tue 17 Nov, 14:05" at the site. */
export function formatDateTime(epochMs: number, timeZone: string | undefined, locale?: string): string {
  return dateTimeFormat(locale, timeZone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(epochMs);
}

/** "Tue 17 Nov" at the site. */
export function formatDay(epochMs: number, timeZone: string | undefined, locale?: string): string {
  return dateTimeFormat(locale, timeZone, { weekday: 'short', day: 'numeric', month: 'short' }).format(epochMs);
}

/** "17 Nov 2026" at the site. */
export function formatDate(epochMs: number, timeZone: string | undefined, locale?: string): string {
  return dateTimeFormat(locale, timeZone, { day: 'numeric', month: 'short', year: 'numeric' }).format(epochMs);
}

/** "November 2026". */
export function formatMonth(epochMs: number, timeZone: string | undefined, locale?: string): string {
  return dateTimeFormat(locale, timeZone, { month: 'long', year: 'numeric' }).format(epochMs);
}

/** How long ago, in words: "42 s", "5 min", "3 h 10 min", "2 d". */
export function formatDuration(ms: number, locale?: string): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const n = (v: number) => formatInteger(v, locale);
  if (s < 60) return `${n(s)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${n(min)} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${n(h)} h ${n(min % 60)} min` : `${n(h)} h`;
  return `${n(Math.floor(h / 24))} d`;
}

/**
 * What a figure is a reading of, beside the number (footprint/schema.ts FIGURE_BASES):
 * "metered so far up to 12:41", "attributed up to 12:30".
 */
export function basisText(reading: { label: string; up_to: number }, timeZone: string | undefined, locale?: string): string {
  return `${reading.label} up to ${formatClock(reading.up_to, timeZone, locale)}`;
}
