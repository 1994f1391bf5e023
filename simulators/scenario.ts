/**
 * Scenario files (sites/scenarios/<name>.yaml): the building to simulate and how its people,
 * equipment, heating, lighting, common loads and devices behave, plus faults on demand.
 * Parsed with zod; every problem is reported as `path: message`. Every field has a default,
 * so `{ site: ../demo.yaml }` is a complete scenario; the defaults describe the demo hub.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { DEVICE_KINDS, DEVICE_KIND_KEYS, type DeviceKind } from '../devices/kinds.ts';
import { siteFileSchema, parseSiteYaml, SiteFileError, type SiteFile } from '../devices/site.ts';

/** "HH:MM" local time → minutes after midnight. */
const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time "HH:MM"')
  .transform((s) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5)));

const range = (min: number, max: number) =>
  z
    .object({ min: z.number().nonnegative().default(min), max: z.number().nonnegative().default(max) })
    .prefault({})
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max' });

const rate = z.number().min(0).max(1);

const membersSchema = z
  .object({
    /** How many members use the site; default: the site file's member list. Extra ones get ids sim-001…. */
    count: z.number().int().nonnegative().optional(),
    /** Share of members coming 1…5 days a week (weights, normalised). */
    days_per_week: z.array(z.number().nonnegative()).length(5).default([0.1, 0.15, 0.25, 0.25, 0.25]),
    /** Chance that a member comes on a Saturday or Sunday. */
    weekend_probability: rate.default(0.03),
    arrival: z
      .object({ mean: clockTime.default(9 * 60), sd_min: z.number().nonnegative().default(55), earliest: clockTime.default(6 * 60 + 30), latest: clockTime.default(14 * 60) })
      .prefault({}),
    /** Hours between arrival and leaving. */
    stay_h: z
      .object({ mean: z.number().positive().default(7.2), sd: z.number().nonnegative().default(1.6), min: z.number().positive().default(1), max: z.number().positive().default(11) })
      .prefault({}),
    lunch: z
      .object({
        probability: rate.default(0.65),
        start: clockTime.default(12 * 60 + 30),
        sd_min: z.number().nonnegative().default(25),
        duration_min: z.number().positive().default(40),
        duration_sd_min: z.number().nonnegative().default(12),
      })
      .prefault({}),
    /** Share of members with a favourite desk; the others take any free desk. */
    favourite_desk_share: rate.default(0.6),
    /** Share of check-ins made at a zone kiosk naming the desk; the rest badge in at the entrance. */
    kiosk_share: rate.default(0.8),
    /** Chance per visit of leaving without checking out. */
    forget_checkout: rate.default(0.08),
    /**
     * Shares of visits with 0, 1 and 2 desk changes (weights, normalised): a member moves
     * to another free desk, checking out at the old desk's kiosk and in at the new one.
     */
    desk_changes: z.array(z.number().nonnegative()).length(3).default([0.5, 0.35, 0.15]),
  })
  .prefault({});

const equipmentSchema = z
  .object({
    /** Laptop + monitor while in use (ECG 19-like small power; brief: 30–70 W). */
    in_use_w: range(30, 70),
    /** Plug standby with nobody at the desk (monitor, dock, charger). */
    standby_w: range(0.5, 3),
    /** Sample-to-sample variation of the plug reading while in use, W (1 sd). */
    noise_w: z.number().nonnegative().default(4),
  })
  .prefault({});

const heatingSchema = z
  .object({
    /**
     * Monthly mean outdoor temperature, °C, January first. Default: Manchester (Met Office
     * 1991–2020 climate averages, Manchester Ringway, rounded).
     */
    outdoor_monthly_mean_c: z.array(z.number()).length(12).default([4.6, 4.9, 6.6, 8.9, 12.0, 14.8, 16.6, 16.4, 14.2, 11.0, 7.4, 5.0]),
    diurnal_amplitude_c: z.number().nonnegative().default(3),
    /** Day-to-day weather variation around the monthly mean, °C (1 sd). */
    weather_sd_c: z.number().nonnegative().default(2.5),
    occupied_setpoint_c: z.number().min(5).max(30).default(21),
    setback_setpoint_c: z.number().min(5).max(30).default(15),
    /**
     * schedule: every zone at the occupied setpoint through the occupied hours (conventional
     * offices); occupancy: a zone empty for `standby_after_min` falls to the standby setpoint.
     */
    control: z.enum(['schedule', 'occupancy']).default('schedule'),
    standby_setpoint_c: z.number().min(5).max(30).default(18),
    standby_after_min: z.number().nonnegative().default(30),
    /** Occupied-hours schedule on working days (Mon–Fri), local time. */
    schedule: z.object({ from: clockTime.default(7 * 60), to: clockTime.default(18 * 60) }).prefault({}),
    /** Fabric + ventilation heat loss per m² of zone floor, W/K (an older, leaky office). */
    loss_w_per_k_m2: z.number().positive().default(1.6),
    /** Effective thermal capacity per m² of zone floor, J/K. */
    capacity_j_per_k_m2: z.number().positive().default(120_000),
    /** Emitter capacity per m² of zone floor, W of heat. */
    max_heat_w_per_m2: z.number().positive().default(90),
    /** Valve fully open this many K below setpoint (proportional control). */
    proportional_band_k: z.number().positive().default(1.5),
    /** Sensible heat from one person, W (CIBSE Guide A, office work ~ 70–90 W sensible). */
    gain_per_person_w: z.number().nonnegative().default(80),
    /** Heat delivered per unit of carrier energy: boiler seasonal efficiency, heat-pump SCOP, 1 for district heat. */
    efficiency: z.object({ gas: z.number().positive().default(0.88), electricity: z.number().positive().default(3), heat: z.number().positive().default(1) }).prefault({}),
  })
  .prefault({});

const lightingSchema = z
  .object({
    /** Installed lighting power density, W/m² (fluorescent/LED mix). */
    w_per_m2: z.number().nonnegative().default(8),
    /** Lights switch on while occupied and daylight at the desk is below this. */
    daylight_threshold_lx: z.number().nonnegative().default(400),
    /** Site latitude for the sun's path, degrees north. Default: Manchester. */
    latitude: z.number().min(-90).max(90).default(53.48),
    /** Site longitude, degrees east, for solar time. Default: Manchester. */
    longitude: z.number().min(-180).max(180).default(-2.24),
    /** Indoor daylight at desk height under a clear noon sun at 90° elevation, lx. */
    peak_daylight_lx: z.number().nonnegative().default(1500),
    /** Lights stay on this long after the zone empties. */
    off_delay_min: z.number().nonnegative().default(15),
    /** Chance per zone per evening that the lights are left on overnight. */
    left_on_probability: rate.default(0.08),
  })
  .prefault({});

const commonSchema = z
  .object({
    network_w: z.number().nonnegative().default(350),
    ventilation_occupied_w: z.number().nonnegative().default(1400),
    ventilation_unoccupied_w: z.number().nonnegative().default(250),
    /** Fridge and water boiler, averaged over their duty cycle. */
    kitchen_base_w: z.number().nonnegative().default(180),
    kettle_w: z.number().nonnegative().default(2800),
    kettle_uses_per_person_day: z.number().nonnegative().default(2.5),
    kettle_use_min: z.number().positive().default(3),
  })
  .prefault({});

const mainSchema = z
  .object({
    /** Unmetered electricity (corridors, meeting rooms, server cupboard): base + share of the metered sum. */
    electricity_base_w: z.number().nonnegative().default(300),
    electricity_share: z.number().nonnegative().default(0.06),
    /** Unmetered gas: domestic hot water per person present, W. */
    gas_per_person_w: z.number().nonnegative().default(120),
    gas_base_w: z.number().nonnegative().default(0),
  })
  .prefault({});

const kindNumbers = (defaults: Partial<Record<DeviceKind, number>>) =>
  z
    .object(Object.fromEntries(DEVICE_KIND_KEYS.map((k) => [k, z.number().positive().optional()])) as Record<DeviceKind, z.ZodOptional<z.ZodNumber>>)
    .prefault({})
    .transform((v) => ({ ...defaults, ...Object.fromEntries(Object.entries(v).filter(([, n]) => n !== undefined)) }) as Record<DeviceKind, number>);

const devicesSchema = z
  .object({
    /** Reporting interval per kind, s; default: each kind's cadenceS (devices/kinds.ts). */
    cadence_s: kindNumbers(Object.fromEntries(DEVICE_KIND_KEYS.map((k) => [k, DEVICE_KINDS[k].cadenceS]))),
    /** Reporting jitter as a share of the cadence. */
    jitter: z.number().min(0).max(0.5).default(0.1),
    /** Chance per device per day that an energy counter resets to 0 (reboot, firmware update). */
    counter_reset_per_day: rate.default(0.003),
    /** Battery drain, % per day, for battery-powered kinds. */
    battery_drain_pct_per_day: kindNumbers({ desk_occupancy: 0.12, badge_reader: 0.05, environment: 0.08 }),
  })
  .prefault({});

export const faultsSchema = z
  .object({
    /** Chance per device per day of going silent (last will fires) for a while. */
    dropout_per_device_day: rate.default(0),
    dropout_mean_min: z.number().positive().default(40),
    /** Per-message chances. */
    duplicate: rate.default(0),
    out_of_order: rate.default(0),
    late: rate.default(0),
    late_delay_s: z.number().positive().default(300),
    malformed: rate.default(0),
    /** Share of devices whose clock is off, and by up to how many seconds (either way). */
    clock_skew_share: rate.default(0),
    clock_skew_max_s: z.number().nonnegative().default(120),
  })
  .prefault({});

export const scenarioFileSchema = z.object({
  name: z.string().min(1).default('scenario'),
  description: z.string().optional(),
  /** A site file path (relative to the scenario file) or an inline site. */
  site: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  seed: z.number().int().default(1),
  /** Default simulated period when the command line gives none. */
  period: z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }).optional(),
  /** Physics step, s. Reports and check-ins keep their exact times; powers change per step. */
  step_s: z.number().positive().max(300).default(10),
  members: membersSchema,
  equipment: equipmentSchema,
  heating: heatingSchema,
  lighting: lightingSchema,
  common: commonSchema,
  main: mainSchema,
  devices: devicesSchema,
  faults: faultsSchema,
});

export type ScenarioFile = z.output<typeof scenarioFileSchema>;
export type Scenario = Omit<ScenarioFile, 'site'> & { site: SiteFile; source: string };
export type FaultSettings = ScenarioFile['faults'];

export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: invalid scenario\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

const issuePath = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : '(root)');

/**
 * Parses scenario YAML. `baseDir` resolves a site given as a path. Throws ScenarioError listing
 * every problem as `path: message`, including the site file's own problems under `site.`.
 */
export function parseScenarioYaml(text: string, opts: { source?: string; baseDir?: string } = {}): Scenario {
  const source = opts.source ?? 'scenario';
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ScenarioError(source, [`(root): invalid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return scenarioFromObject(raw, { source, baseDir: opts.baseDir ?? process.cwd() });
}

export function scenarioFromObject(raw: unknown, opts: { source: string; baseDir: string }): Scenario {
  const result = scenarioFileSchema.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
  let site: SiteFile | undefined;
  const siteRaw = (raw as { site?: unknown } | null)?.site;
  if (typeof siteRaw === 'string') {
    const path = resolve(opts.baseDir, siteRaw);
    try {
      site = parseSiteYaml(readFileSync(path, 'utf8'), path);
    } catch (err) {
      if (err instanceof SiteFileError) problems.push(...err.problems.map((p) => `site: ${path}: ${p}`));
      else problems.push(`site: cannot read "${path}": ${(err as Error).message}`);
    }
  } else if (siteRaw !== undefined && typeof siteRaw === 'object') {
    const parsed = siteFileSchema.safeParse(siteRaw);
    if (parsed.success) site = parsed.data;
    else problems.push(...parsed.error.issues.map((i) => `site.${issuePath(i.path)}: ${i.message}`));
  }
  if (result.success && result.data.period && Date.parse(result.data.period.from) >= Date.parse(result.data.period.to)) {
    problems.push('period.to: must be after period.from');
  }
  if (problems.length > 0 || !result.success || !site) throw new ScenarioError(opts.source, problems);
  return { ...result.data, site, source: opts.source };
}

export function loadScenario(path: string): Scenario {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ScenarioError(abs, [`(root): cannot read file: ${(err as Error).message}`]);
  }
  return parseScenarioYaml(text, { source: abs, baseDir: dirname(abs) });
}

/** The default scenario for a site: every setting at its default. */
export function defaultScenario(site: SiteFile, name = `${site.id} defaults`): Scenario {
  const parsed = scenarioFileSchema.parse({ name, site: site.id });
  return { ...parsed, site, source: name };
}

/**
 * Applies `KEY=VALUE` fault overrides (the command line's `--fault`) on top of a scenario's
 * faults. Throws ScenarioError listing every problem as `faults.KEY: message`.
 */
export function withFaultOverrides(scenario: Scenario, overrides: readonly string[], source = '--fault'): Scenario {
  if (overrides.length === 0) return scenario;
  const problems: string[] = [];
  const known = Object.keys(scenario.faults);
  const patch: Record<string, number> = {};
  for (const o of overrides) {
    const m = /^([a-z_]+)=(.+)$/.exec(o);
    if (!m) {
      problems.push(`${o}: expected KEY=VALUE, e.g. duplicate=0.01`);
      continue;
    }
    const [, key, value] = m as unknown as [string, string, string];
    if (!known.includes(key)) problems.push(`faults.${key}: unknown fault setting (one of ${known.join(', ')})`);
    else patch[key] = Number(value);
  }
  const parsed = faultsSchema.safeParse({ ...scenario.faults, ...patch });
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `faults.${issuePath(i.path)}: ${i.message}`));
  if (problems.length > 0 || !parsed.success) throw new ScenarioError(source, problems);
  return { ...scenario, faults: parsed.data };
}
