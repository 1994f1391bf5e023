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
