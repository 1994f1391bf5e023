/**
 * The site file (sites/<id>.yaml): zones, desks, devices, members, emission factors and
 * baseline parameters. Parsed with zod; every problem is reported as `path: message`.
 * Lives in devices/ because simulators, ingest and the API all read the same shape.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { CARRIERS, CATEGORIES, DEVICE_KINDS, DEVICE_KIND_KEYS, OCCUPANCY_SENSOR_MODEL_KEYS, metersEnergy, type DeviceKind, type OccupancySensorModelKey } from './kinds.ts';
import { idSchema } from './ids.ts';
import { SERIES_METRIC_KEYS, type SeriesMetricKey } from './catalogue.ts';

const factorSetSchema = z.object({
  name: z.string().min(1),
  /** Data of this calendar year use this set (METHODOLOGY §3). */
  year: z.number().int().min(1990).max(2100),
  basis: z.string().min(1),
  source: z.string().min(1),
  unit: z.literal('kgCO2e/kWh').default('kgCO2e/kWh'),
  /** kgCO2e per kWh for each carrier the site uses. */
  electricity: z.number().nonnegative(),
  gas: z.number().nonnegative().optional(),
  heat: z.number().nonnegative().optional(),
});

const scenarioSchema = z.object({
  /** Private office area per person, m². */
  a_po_m2: z.number().positive(),
  /** Small-power share of office electricity, 0…1. */
  s_sp: z.number().min(0).max(1),
});

const baselineSchema = z.object({
  h_std_h: z.number().positive().default(8),
  d_work: z.number().positive().default(232),
  eui_el_kwh_m2: z.number().nonnegative().default(95),
  eui_fuel_kwh_m2: z.number().nonnegative().default(120),
  /** Carrier whose factor applies to the fuel baseline. */
  fuel_carrier: z.enum(['gas', 'heat']).default('gas'),
  scenarios: z
    .object({ low: scenarioSchema, central: scenarioSchema, high: scenarioSchema })
    .default({ low: { a_po_m2: 10, s_sp: 0.44 }, central: { a_po_m2: 15, s_sp: 0.3 }, high: { a_po_m2: 30, s_sp: 0.13 } }),
});

const zoneSchema = z.object({
  id: idSchema,
  name: z.string().min(1),
  area_m2: z.number().positive(),
});

const deskSchema = z.object({
  id: idSchema,
  zone: idSchema,
  /** Floor-plan position, 0…1 of the zone's box, for the dashboard. */
  x: z.number().min(0).max(1).optional(),
  y: z.number().min(0).max(1).optional(),
});

const seriesMetricSchema = z.enum(SERIES_METRIC_KEYS as [SeriesMetricKey, ...SeriesMetricKey[]]);

const foreignSchema = z.object({
  ecosystem: z.string().min(1),
  id: z.string().min(1),
  /**
   * Sparkplug B: the edge node's metric names mapped to catalogue metrics, with a factor to
   * the canonical unit when the node's unit differs (`{ "Meter/Energy": { metric: energy_wh, scale: 1000 } }` for kWh).
   */
  metrics: z
    .record(z.string().min(1), z.union([seriesMetricSchema.transform((metric) => ({ metric })), z.strictObject({ metric: seriesMetricSchema, scale: z.number().finite().positive().optional() })]))
    .optional(),
});

const deviceSchema = z.object({
  id: idSchema,
  kind: z.enum(DEVICE_KIND_KEYS as [DeviceKind, ...DeviceKind[]]),
  name: z.string().optional(),
  desk: idSchema.optional(),
  zone: idSchema.optional(),
  category: z.enum(CATEGORIES).optional(),
  carrier: z.enum(CARRIERS).optional(),
  /** A foreign identity (Zigbee2MQTT friendly name, Shelly id, Tasmota topic). */
  foreign: foreignSchema.optional(),
  /** An occupancy sensor's model (devices/kinds.ts OCCUPANCY_SENSOR_MODELS): its hold time and heartbeat. */
  model: z.enum(OCCUPANCY_SENSOR_MODEL_KEYS as [OccupancySensorModelKey, ...OccupancySensorModelKey[]]).optional(),
  /** Seconds the sensor keeps reporting occupied after the person left; overrides the model's. At most 20 min: the footprint moves a vacancy back by it, and intervals close 30 min after their end. */
  hold_s: z.number().nonnegative().max(1200).optional(),
  /** Longest silence, s, while nothing changes (its periodic report); past 1.5× this its state is unknown. Overrides the model's. */
  heartbeat_s: z.number().positive().max(86_400).optional(),
});

/** Weekdays as site files name them, in `Date.getDay()` order (0 = Sunday). */
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const HHMM = '(?:[01]\\d|2[0-3]):[0-5]\\d';
/** Minutes after local midnight of an `HH:MM` wall-clock time. */
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
/** One day's opening, `07:00-20:00` in the site's local time; `24:00` closes at midnight. */
const openingSchema = z
  .string()
  .regex(new RegExp(`^${HHMM}-(?:${HHMM}|24:00)$`), { error: 'opening hours as HH:MM-HH:MM, e.g. 07:00-20:00', abort: true })
  .refine((s) => minutesOf(s.slice(6)) > minutesOf(s.slice(0, 5)), 'closing time must be after opening time');
/** Days left out are closed. A common coworking week unless the site file says otherwise. */
const openingHoursSchema = z
  .strictObject({
    mon: openingSchema.optional(),
    tue: openingSchema.optional(),
    wed: openingSchema.optional(),
    thu: openingSchema.optional(),
    fri: openingSchema.optional(),
    sat: openingSchema.optional(),
    sun: openingSchema.optional(),
  })
  .default({ mon: '07:00-20:00', tue: '07:00-20:00', wed: '07:00-20:00', thu: '07:00-20:00', fri: '07:00-20:00' });

/** Opening hours per weekday (0 = Sunday): [open, close] in minutes after local midnight, or null when closed. */
export type OpeningHours = readonly (readonly [number, number] | null)[];

/** A site's opening hours as minutes, from its `opening_hours`. */
export function openingHoursOf(site: Pick<SiteFile, 'opening_hours'>): OpeningHours {
  return WEEKDAYS.map((d) => {
    const s = site.opening_hours[d];
    return s === undefined ? null : ([minutesOf(s.slice(0, 5)), minutesOf(s.slice(6))] as const);
  });
}

/**
 * A vendor cloud's webhook for this site (`/api/webhooks/<ecosystem>/<site>`): the name of
 * the environment variable holding its shared secret, so that the secret is in neither the
 * site file nor the registry database, and never in a log.
 */
const webhookSchema = z.strictObject({
  secret_env: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'an environment variable name, e.g. DESKPRINT_DT_SECRET_OFFICE'),
});

/**
 * Energy prices per carrier (METHODOLOGY §8): a tariff history whose periods apply from a
 * local date, each with a flat unit rate or time-of-use bands in the site's local time
 * (Octopus-style: a band runs from its start to the next band's start), a standing charge
 * per local day, per-kWh levies and VAT. Prices are in the site's `currency`, excluding VAT.
 */
const ISO_DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;
const touBandSchema = z.strictObject({
  /** Local wall-clock time the band starts, HH:MM. */
  from: z.string().regex(new RegExp(`^${HHMM}$`), 'a band start as HH:MM, e.g. 07:00'),
  per_kwh: z.number().finite().nonnegative(),
});
const levySchema = z.strictObject({
  /** e.g. "Climate Change Levy (main rate)". */
  name: z.string().min(1),
  per_kwh: z.number().finite().nonnegative(),
});
const tariffPeriodSchema = z.strictObject({
  /** Local date from which these prices apply, YYYY-MM-DD; they apply until the next period's `from`. */
  from: z.string().regex(ISO_DATE, 'a date as YYYY-MM-DD'),
  name: z.string().min(1).optional(),
  /** Price per kWh excluding VAT: one number (flat) or time-of-use bands, the first at 00:00. */
  unit_rate: z.union([z.number().finite().nonnegative(), z.array(touBandSchema).min(1)]),
  /** Fixed charge per local day (a 23- or 25-hour day is still one day), excluding VAT. */
  standing_charge_per_day: z.number().finite().nonnegative().default(0),
  levies: z.array(levySchema).default([]),
  /** VAT (or sales tax) on energy, levies and standing charge: 0.2 is 20 %. */
  vat_rate: z.number().min(0).max(1).default(0),
});
const tariffSchema = z.strictObject({
  supplier: z.string().min(1).optional(),
  /** Where the prices come from: the contract, a bill, a published price list. */
  source: z.string().min(1),
  /** True when the prices are an estimate (not the site's own contract); shown with every cost. */
  estimate: z.boolean().default(false),
  history: z.array(tariffPeriodSchema).min(1),
});
const tariffsSchema = z.strictObject({ electricity: tariffSchema.optional(), gas: tariffSchema.optional(), heat: tariffSchema.optional() });

/**
 * Scope 2, market-based (METHODOLOGY §9; GHG Protocol Scope 2 Guidance 2015, Table 6.3;
 * ESRS E1-6): per purchased carrier (electricity, heat), the contractual instruments and
 * supplier rates in force per period, and the residual mix per year for what they do not cover.
 */
const certificatesSchema = z.strictObject({
  /** e.g. "REGOs, 100 % wind (Supplier X Green Business)". */
  name: z.string().min(1),
  /** Share of the period's consumption the certificates cover, 0…1. */
  share: z.number().min(0).max(1),
  /** Emission rate of the certified generation: 0 for wind, solar, hydro (Scope 2 Guidance §6.6). */
  kgco2e_per_kwh: z.number().nonnegative(),
  source: z.string().min(1),
});
const marketPeriodSchema = z.strictObject({
  /** Local date from which this applies, until the next period's `from`. */
  from: z.string().regex(ISO_DATE, 'a date as YYYY-MM-DD'),
  certificates: certificatesSchema.optional(),
  /** The supplier's specific emission rate (fuel mix disclosure) for what certificates do not cover. */
  supplier: z.strictObject({ kgco2e_per_kwh: z.number().nonnegative(), source: z.string().min(1) }).optional(),
});
const residualMixSchema = z.strictObject({
  /** Data of this calendar year use this value; the latest earlier year otherwise (published late). */
  year: z.number().int().min(1990).max(2100),
  kgco2e_per_kwh: z.number().nonnegative(),
  /** e.g. "AIB, European Residual Mixes 2024, v1.0, United Kingdom". */
  source: z.string().min(1),
  estimate: z.boolean().default(false),
});
const marketCarrierSchema = z.strictObject({
  periods: z.array(marketPeriodSchema).default([]),
  residual_mix: z.array(residualMixSchema).default([]),
});
const marketBasedSchema = z.strictObject({ electricity: marketCarrierSchema.optional(), heat: marketCarrierSchema.optional() });

/**
 * Heating degree days (METHODOLOGY §10): where they come from, their base temperature, the
 * standard year a weather-normalised figure is scaled to, and which carriers heat the space.
 */
const degreeDaysSchema = z.strictObject({
  /** Base temperature, °C: 15.5 °C is the UK convention (CIBSE TM41, Met Office). */
  base_c: z.number().min(-10).max(30).default(15.5),
  /** Heating degree days of the standard year the normalised figure is scaled to (§10). */
  reference_hdd: z.number().positive().default(2021),
  /** An outdoor_sensor device whose temperature readings give the daily HDD (integration method). */
  device: idSchema.optional(),
  /** A CSV of daily HDD (`date,hdd`, one local day a row), relative to the site file. */
  csv: z.string().min(1).optional(),
  /** Carriers whose energy heats the space and is weather-normalised; default every carrier but electricity. */
  heating_carriers: z.array(z.enum(CARRIERS)).optional(),
});
export type DegreeDaysSettings = z.infer<typeof degreeDaysSchema>;

const memberSchema = z.object({
  id: idSchema,
  name: z.string().min(1),
});

export const siteFileSchema = z
  .object({
    id: idSchema,
    name: z.string().min(1),
    timezone: z.string().refine(isTimeZone, 'not an IANA time zone'),
    area_m2: z.number().positive(),
    accounting_interval_min: z.union([z.literal(30), z.literal(15)]).default(30),
    max_gap_min: z.number().positive().default(15),
    /** Operator account that receives unidentified occupants' shares. */
    operator: idSchema.default('operator'),
    /** When the space is open, for after-hours waste alerts (docs/alerts.md). */
    opening_hours: openingHoursSchema,
    factors: z.array(factorSetSchema).min(1),
    baseline: baselineSchema.default(baselineSchema.parse({})),
    zones: z.array(zoneSchema).min(1),
    desks: z.array(deskSchema),
    devices: z.array(deviceSchema),
    members: z.array(memberSchema).default([]),
    /**
     * Billing periods (METHODOLOGY §8, §2 M4): each starts at local midnight on `start_day`
     * of a month (1 = calendar months). The pool and its cost are settled per period.
     */
    billing: z.strictObject({ start_day: z.number().int().min(1).max(28).default(1) }).default({ start_day: 1 }),
    /** Scope 2 market-based inputs (METHODOLOGY §9); without them market-based = the grid average, flagged. */
    market_based: marketBasedSchema.default({}),
    /** ISO 4217 code of the site's currency (GBP, EUR, INR); every cost is in it (METHODOLOGY §8). */
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code, e.g. GBP').optional(),
    /** Energy prices per carrier (METHODOLOGY §8); a carrier without one has no cost. */
    tariffs: tariffsSchema.default({}),
    /** Vendor-cloud webhooks by ecosystem (`disruptive`, `butlr`). */
    webhooks: z.record(z.string(), webhookSchema).default({}),
    /** Heating degree days for the normalised indicators (METHODOLOGY §10). */
    degree_days: degreeDaysSchema.optional(),
  })
  .superRefine((site, ctx) => {
    const zoneIds = new Set<string>();
    site.zones.forEach((z, i) => {
      if (zoneIds.has(z.id)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'id'], message: `duplicate zone "${z.id}"` });
      zoneIds.add(z.id);
    });
    const deskZone = new Map<string, string>();
    site.desks.forEach((d, i) => {
      if (deskZone.has(d.id)) ctx.addIssue({ code: 'custom', path: ['desks', i, 'id'], message: `duplicate desk "${d.id}"` });
      if (!zoneIds.has(d.zone)) ctx.addIssue({ code: 'custom', path: ['desks', i, 'zone'], message: `unknown zone "${d.zone}"` });
      deskZone.set(d.id, d.zone);
    });
    const deviceIds = new Set<string>();
    const foreignIds = new Set<string>();
    site.devices.forEach((d, i) => {
      const at = (k: string) => ['devices', i, k];
      if (deviceIds.has(d.id)) ctx.addIssue({ code: 'custom', path: at('id'), message: `duplicate device "${d.id}"` });
      deviceIds.add(d.id);
      const kind = DEVICE_KINDS[d.kind];
      if (d.desk !== undefined && !deskZone.has(d.desk)) ctx.addIssue({ code: 'custom', path: at('desk'), message: `unknown desk "${d.desk}"` });
      if (d.zone !== undefined && !zoneIds.has(d.zone)) ctx.addIssue({ code: 'custom', path: at('zone'), message: `unknown zone "${d.zone}"` });
      if (d.desk !== undefined && d.zone !== undefined && deskZone.get(d.desk) !== d.zone) {
        ctx.addIssue({ code: 'custom', path: at('zone'), message: `desk "${d.desk}" is in zone "${deskZone.get(d.desk)}", not "${d.zone}"` });
      }
      if (kind.scope === 'desk' && d.desk === undefined) ctx.addIssue({ code: 'custom', path: at('desk'), message: `a ${d.kind} needs a desk` });
      if (kind.scope === 'zone' && d.zone === undefined) ctx.addIssue({ code: 'custom', path: at('zone'), message: `a ${d.kind} needs a zone` });
      if (metersEnergy(d.kind) && d.kind !== 'desk_occupancy') {
        if (d.carrier === undefined) ctx.addIssue({ code: 'custom', path: at('carrier'), message: `an energy device needs a carrier (${CARRIERS.join(', ')})` });
        if (d.category === undefined && kind.category === null) ctx.addIssue({ code: 'custom', path: at('category'), message: `a meter needs a category (${CATEGORIES.join(', ')})` });
      }
      if (d.category === 'main' && (d.desk !== undefined || d.zone !== undefined)) {
        ctx.addIssue({ code: 'custom', path: at('category'), message: 'a main meter measures the whole site: no desk or zone' });
      }
      if ((d.model !== undefined || d.hold_s !== undefined || d.heartbeat_s !== undefined) && d.kind !== 'desk_occupancy') {
        ctx.addIssue({ code: 'custom', path: at('model'), message: 'model, hold_s and heartbeat_s describe occupancy sensors (kind desk_occupancy)' });
      }
      if (d.foreign) {
        const key = `${d.foreign.ecosystem}:${d.foreign.id}`;
        if (foreignIds.has(key)) ctx.addIssue({ code: 'custom', path: at('foreign'), message: `foreign identity "${key}" is used twice` });
        foreignIds.add(key);
      }
    });
    const carriersUsed = new Set(site.devices.map((d) => d.carrier).filter((c) => c !== undefined));
    site.factors.forEach((f, i) => {
      for (const c of carriersUsed) {
        if (f[c] === undefined) ctx.addIssue({ code: 'custom', path: ['factors', i, c], message: `factor set "${f.name}" has no ${c} factor, which the site's devices use` });
      }
    });
    const mainPerCarrier = new Map<string, number>();
    for (const d of site.devices) if (deviceCategory(d) === 'main' && d.carrier) mainPerCarrier.set(d.carrier, (mainPerCarrier.get(d.carrier) ?? 0) + 1);
    for (const [carrier, n] of mainPerCarrier) {
      if (n > 1) ctx.addIssue({ code: 'custom', path: ['devices'], message: `${n} main meters for ${carrier}; at most one per carrier` });
    }
    for (const [c, m] of Object.entries(site.market_based)) {
      m?.periods.forEach((p, i) => {
        const prev = m.periods[i - 1];
        if (prev && p.from <= prev.from) ctx.addIssue({ code: 'custom', path: ['market_based', c, 'periods', i, 'from'], message: `periods must be in date order: ${p.from} is not after ${prev.from}` });
      });
    }
    const tariffCarriers = Object.keys(site.tariffs) as (keyof typeof site.tariffs)[];
    if (tariffCarriers.length > 0 && site.currency === undefined) ctx.addIssue({ code: 'custom', path: ['currency'], message: 'tariffs need the site\'s currency (an ISO 4217 code, e.g. GBP)' });
    for (const c of tariffCarriers) {
      site.tariffs[c]!.history.forEach((p, i) => {
        const at = ['tariffs', c, 'history', i];
        const prev = site.tariffs[c]!.history[i - 1];
        if (prev && p.from <= prev.from) ctx.addIssue({ code: 'custom', path: [...at, 'from'], message: `periods must be in date order: ${p.from} is not after ${prev.from}` });
        const bands = p.unit_rate;
        if (typeof bands === 'number') return;
        bands.forEach((b, j) => {
          const m = minutesOf(b.from);
          if (j === 0 && m !== 0) ctx.addIssue({ code: 'custom', path: [...at, 'unit_rate', j, 'from'], message: 'the first band starts at 00:00' });
          if (j > 0 && m <= minutesOf(bands[j - 1]!.from)) ctx.addIssue({ code: 'custom', path: [...at, 'unit_rate', j, 'from'], message: 'bands must be in time order' });
          // A band boundary inside an accounting interval would need two prices for one interval.
          if (m % site.accounting_interval_min !== 0) ctx.addIssue({ code: 'custom', path: [...at, 'unit_rate', j, 'from'], message: `a band starts on the accounting interval (${site.accounting_interval_min} min)` });
        });
      });
    }
    const dd = site.degree_days;
    if (dd?.device !== undefined) {
      const d = site.devices.find((x) => x.id === dd.device);
      if (!d) ctx.addIssue({ code: 'custom', path: ['degree_days', 'device'], message: `unknown device "${dd.device}"` });
      else if (d.kind !== 'outdoor_sensor') ctx.addIssue({ code: 'custom', path: ['degree_days', 'device'], message: `device "${dd.device}" is a ${d.kind}, not an outdoor_sensor` });
    }
    if (dd?.device !== undefined && dd.csv !== undefined) ctx.addIssue({ code: 'custom', path: ['degree_days'], message: 'degree days come from one source: a device or a csv, not both' });
    const memberIds = new Set<string>();
    site.members.forEach((m, i) => {
      if (memberIds.has(m.id)) ctx.addIssue({ code: 'custom', path: ['members', i, 'id'], message: `duplicate member "${m.id}"` });
      memberIds.add(m.id);
    });
  });

export type SiteFile = z.infer<typeof siteFileSchema>;
export type SiteDevice = SiteFile['devices'][number];
export type SiteZone = SiteFile['zones'][number];
export type SiteDesk = SiteFile['desks'][number];
export type FactorSet = SiteFile['factors'][number];
export type BaselineParams = SiteFile['baseline'];
export type Tariff = NonNullable<SiteFile['tariffs']['electricity']>;
export type TariffPeriod = Tariff['history'][number];
export type MarketBasedInputs = NonNullable<SiteFile['market_based']['electricity']>;

/** A device's energy category: explicit, or its kind's default. */
export function deviceCategory(d: Pick<SiteDevice, 'kind' | 'category'>): SiteDevice['category'] | null {
  return d.category ?? DEVICE_KINDS[d.kind].category;
}

/** A device's scope: desk, zone or the whole site. */
export function deviceScope(d: Pick<SiteDevice, 'desk' | 'zone'>): 'desk' | 'zone' | 'site' {
  return d.desk !== undefined ? 'desk' : d.zone !== undefined ? 'zone' : 'site';
}

/** A site's webhook secret for an ecosystem, from the environment variable its site file names; undefined when unset or empty. */
export function webhookSecret(site: Pick<SiteFile, 'webhooks'>, ecosystem: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const name = site.webhooks[ecosystem]?.secret_env;
  const value = name === undefined ? undefined : env[name];
  return value === undefined || value.length === 0 ? undefined : value;
}

export class SiteFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: invalid site file\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'SiteFileError';
  }
}

/** Parses site YAML text; throws SiteFileError listing every problem as `path: message`. */
export function parseSiteYaml(text: string, source = 'site file'): SiteFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new SiteFileError(source, [`(root): invalid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const result = siteFileSchema.safeParse(raw);
  if (!result.success) {
    throw new SiteFileError(
      source,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
