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
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
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
