import type { SeriesMetricKey } from './catalogue.ts';

/** Energy carriers (METHODOLOGY §1). */
export const CARRIERS = ['electricity', 'gas', 'heat'] as const;
export type Carrier = (typeof CARRIERS)[number];

/** Energy categories (METHODOLOGY §1). `main` meters measure a site's incoming supply. */
export const CATEGORIES = ['desk', 'lighting', 'heating', 'hvac', 'common', 'main'] as const;
export type Category = (typeof CATEGORIES)[number];

/** What part of the site an energy device measures. */
export const SCOPES = ['desk', 'zone', 'site'] as const;
export type Scope = (typeof SCOPES)[number];

export interface DeviceKindDescriptor {
  readonly kind: string;
  readonly label: string;
  /** Metrics this kind may report; anything else is rejected as a schema violation. */
  readonly metrics: readonly SeriesMetricKey[];
  /** Whether the device sends check-in events (member + action). */
  readonly checkins: boolean;
  /** Scope the device must be registered with. */
  readonly scope: Scope | 'any';
  /** Default energy category, when the kind meters energy. */
  readonly category: Category | null;
  /** Expected reporting interval in seconds, for staleness ("silent for 3× cadence"). */
  readonly cadenceS: number;
}

const kinds = {
  desk_occupancy: {
    kind: 'desk_occupancy', label: 'Desk occupancy sensor', metrics: ['occupied', 'battery_pct', 'temperature_c', 'illuminance_lx'],
    checkins: false, scope: 'desk', category: null, cadenceS: 60,
  },
  desk_plug: {
    kind: 'desk_plug', label: 'Desk smart plug', metrics: ['power_w', 'energy_wh', 'on', 'voltage_v', 'current_a'],
    checkins: false, scope: 'desk', category: 'desk', cadenceS: 30,
  },
  zone_heating: {
    kind: 'zone_heating', label: 'Zone heating (controller and meter)', metrics: ['temperature_c', 'setpoint_c', 'valve_pct', 'power_w', 'energy_wh', 'on', 'battery_pct', 'humidity_pct'],
    checkins: false, scope: 'zone', category: 'heating', cadenceS: 60,
  },
  zone_lighting: {
    kind: 'zone_lighting', label: 'Zone lighting circuit', metrics: ['on', 'power_w', 'energy_wh', 'illuminance_lx'],
    checkins: false, scope: 'zone', category: 'lighting', cadenceS: 60,
  },
  meter: {
    kind: 'meter', label: 'Energy meter', metrics: ['power_w', 'energy_wh', 'voltage_v', 'current_a'],
    checkins: false, scope: 'any', category: null, cadenceS: 30,
  },
  people_counter: {
    kind: 'people_counter', label: 'People counter (area headcount)', metrics: ['people_count', 'battery_pct', 'temperature_c', 'humidity_pct'],
    checkins: false, scope: 'zone', category: null, cadenceS: 600,
  },
  badge_reader: {
    kind: 'badge_reader', label: 'Check-in badge reader', metrics: ['battery_pct'],
    checkins: true, scope: 'any', category: null, cadenceS: 3600,
  },
  environment: {
    kind: 'environment', label: 'Environment sensor', metrics: ['temperature_c', 'humidity_pct', 'co2_ppm', 'illuminance_lx', 'battery_pct'],
    checkins: false, scope: 'zone', category: null, cadenceS: 300,
  },
  outdoor_sensor: {
    // Outdoor air temperature for heating degree days (METHODOLOGY §10): a weather station or
    // an outdoor probe on a north wall, one per site.
    kind: 'outdoor_sensor', label: 'Outdoor temperature sensor', metrics: ['temperature_c', 'humidity_pct', 'battery_pct'],
    checkins: false, scope: 'site', category: null, cadenceS: 600,
  },
  grid_feed: {
    kind: 'grid_feed', label: 'Grid carbon intensity feed', metrics: ['grid_intensity_g_per_kwh'],
    checkins: false, scope: 'site', category: null, cadenceS: 1800,
  },
} as const satisfies Record<string, DeviceKindDescriptor>;

export type DeviceKind = keyof typeof kinds;
export const DEVICE_KINDS: Readonly<Record<DeviceKind, DeviceKindDescriptor>> = Object.freeze(kinds);
export const DEVICE_KIND_KEYS = Object.keys(kinds) as DeviceKind[];

/** Whether a kind meters energy (and so needs a carrier and category). */
export function metersEnergy(kind: DeviceKind): boolean {
  const m = DEVICE_KINDS[kind].metrics as readonly string[];
  return m.includes('energy_wh') || m.includes('power_w');
}

/**
 * Occupancy sensor models: how long each keeps reporting "occupied" after the person left
 * (hold time) and the longest it stays silent while nothing changes (heartbeat, its periodic
 * report). The footprint corrects a vacancy for the hold time and treats a sensor silent
 * past its heartbeat as "unknown", never "vacant" (METHODOLOGY §1 "Occupancy sensors").
 *
 * These are the factory settings deskprint assumes; a site file overrides either one per
 * device (`hold_s`, `heartbeat_s`) to match what the device is configured to.
 */
export interface OccupancySensorModel {
  readonly label: string;
  readonly holdS: number;
  readonly heartbeatS: number;
  readonly ecosystems: readonly string[];
}

const occupancyModels = {
  'milesight-vs340': { label: 'Milesight VS340 desk occupancy (PIR)', holdS: 120, heartbeatS: 1200, ecosystems: ['tts', 'chirpstack'] },
  'milesight-vs341': { label: 'Milesight VS341 desk occupancy (thermopile)', holdS: 60, heartbeatS: 1200, ecosystems: ['tts', 'chirpstack'] },
  'milesight-vs370': { label: 'Milesight VS370 radar presence', holdS: 60, heartbeatS: 1200, ecosystems: ['tts', 'chirpstack'] },
  'milesight-ws202': { label: 'Milesight WS202 PIR', holdS: 300, heartbeatS: 3600, ecosystems: ['tts', 'chirpstack'] },
  'milesight-ws203': { label: 'Milesight WS203 PIR, temperature and humidity', holdS: 300, heartbeatS: 1200, ecosystems: ['tts', 'chirpstack'] },
  'disruptive-desk-occupancy': { label: 'Disruptive Technologies Desk Occupancy', holdS: 0, heartbeatS: 900, ecosystems: ['disruptive'] },
  'aqara-motion-p1': { label: 'Aqara Motion and Light Sensor P1 (Zigbee)', holdS: 60, heartbeatS: 3600, ecosystems: ['zigbee2mqtt'] },
} as const satisfies Record<string, OccupancySensorModel>;

export type OccupancySensorModelKey = keyof typeof occupancyModels;
export const OCCUPANCY_SENSOR_MODELS: Readonly<Record<OccupancySensorModelKey, OccupancySensorModel>> = Object.freeze(occupancyModels);
export const OCCUPANCY_SENSOR_MODEL_KEYS = Object.keys(occupancyModels) as OccupancySensorModelKey[];

/** An occupancy sensor's hold time and heartbeat, ms: the site file's values, else its model's; no heartbeat rule without either. */
export function occupancyTiming(d: { model?: OccupancySensorModelKey | undefined; hold_s?: number | undefined; heartbeat_s?: number | undefined }): { holdMs: number; heartbeatMs: number } {
  const model = d.model === undefined ? undefined : OCCUPANCY_SENSOR_MODELS[d.model];
  return { holdMs: (d.hold_s ?? model?.holdS ?? 0) * 1000, heartbeatMs: (d.heartbeat_s ?? model?.heartbeatS ?? Infinity) * 1000 };
}
