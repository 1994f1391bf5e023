/**
 * The metric catalogue: one key, one canonical unit and one state class per metric.
 * Adapters, the store schema, the API and chart labels all read this table; nothing else
 * may invent a metric name. State classes follow Home Assistant's SensorStateClass:
 *  - measurement: a value at a point in time (power, temperature);
 *  - total: a running total that may go up and down;
 *  - total_increasing: a counter that only increases, except at a reset to ~0.
 */

export type StateClass = 'measurement' | 'total' | 'total_increasing';
export type ValueKind = 'number' | 'boolean' | 'string';

export interface MetricDescriptor {
  readonly key: string;
  readonly label: string;
  /** Canonical unit. Empty for booleans and identifiers. */
  readonly unit: string;
  readonly stateClass: StateClass | null;
  readonly kind: ValueKind;
  /** Physically plausible bounds for validation; values outside are rejected as wrong units. */
  readonly min?: number;
  readonly max?: number;
}

const catalogue = {
  occupied: { key: 'occupied', label: 'Occupied', unit: '', stateClass: 'measurement', kind: 'boolean' },
  power_w: { key: 'power_w', label: 'Power', unit: 'W', stateClass: 'measurement', kind: 'number', min: -1_000_000, max: 1_000_000 },
  energy_wh: { key: 'energy_wh', label: 'Energy', unit: 'Wh', stateClass: 'total_increasing', kind: 'number', min: 0, max: 1e13 },
  temperature_c: { key: 'temperature_c', label: 'Temperature', unit: '°C', stateClass: 'measurement', kind: 'number', min: -60, max: 120 },
  setpoint_c: { key: 'setpoint_c', label: 'Setpoint', unit: '°C', stateClass: 'measurement', kind: 'number', min: 0, max: 60 },
  valve_pct: { key: 'valve_pct', label: 'Valve opening', unit: '%', stateClass: 'measurement', kind: 'number', min: 0, max: 100 },
  on: { key: 'on', label: 'On', unit: '', stateClass: 'measurement', kind: 'boolean' },
  illuminance_lx: { key: 'illuminance_lx', label: 'Illuminance', unit: 'lx', stateClass: 'measurement', kind: 'number', min: 0, max: 200_000 },
  battery_pct: { key: 'battery_pct', label: 'Battery', unit: '%', stateClass: 'measurement', kind: 'number', min: 0, max: 100 },
  humidity_pct: { key: 'humidity_pct', label: 'Relative humidity', unit: '%', stateClass: 'measurement', kind: 'number', min: 0, max: 100 },
  voltage_v: { key: 'voltage_v', label: 'Voltage', unit: 'V', stateClass: 'measurement', kind: 'number', min: 0, max: 1_000 },
  current_a: { key: 'current_a', label: 'Current', unit: 'A', stateClass: 'measurement', kind: 'number', min: -1_000, max: 1_000 },
  /** People a counter sees in its area now (Milesight VS121 `people_count_all`, Butlr room/zone occupancy): a headcount, not a total. */
  people_count: { key: 'people_count', label: 'People counted', unit: 'people', stateClass: 'measurement', kind: 'number', min: 0, max: 10_000 },
  co2_ppm: { key: 'co2_ppm', label: 'CO₂ concentration', unit: 'ppm', stateClass: 'measurement', kind: 'number', min: 0, max: 40_000 },
  /** Grid carbon intensity from a feed device (METHODOLOGY §3, supplementary figure). */
  grid_intensity_g_per_kwh: { key: 'grid_intensity_g_per_kwh', label: 'Grid carbon intensity', unit: 'gCO2/kWh', stateClass: 'measurement', kind: 'number', min: 0, max: 2_000 },
  /** Check-in badge fields: who, and whether they arrive or leave. */
  member: { key: 'member', label: 'Member', unit: '', stateClass: null, kind: 'string' },
  action: { key: 'action', label: 'Check-in action', unit: '', stateClass: null, kind: 'string' },
} as const satisfies Record<string, MetricDescriptor>;

export type MetricKey = keyof typeof catalogue;
/** Metrics stored as time series (numbers; booleans as 0/1). */
export type SeriesMetricKey = { [K in MetricKey]: (typeof catalogue)[K]['kind'] extends 'string' ? never : K }[MetricKey];

export const METRICS: Readonly<Record<MetricKey, MetricDescriptor>> = Object.freeze(catalogue);
export const METRIC_KEYS = Object.keys(catalogue) as MetricKey[];
export const SERIES_METRIC_KEYS = METRIC_KEYS.filter((k) => METRICS[k].kind !== 'string') as SeriesMetricKey[];

export function isSeriesMetric(key: string): key is SeriesMetricKey {
  return (SERIES_METRIC_KEYS as string[]).includes(key);
}

export function metric(key: MetricKey): MetricDescriptor {
  return METRICS[key];
}

/** Check-in actions a badge reader or app may send. */
export const CHECKIN_ACTIONS = ['check_in', 'check_out'] as const;
export type CheckinAction = (typeof CHECKIN_ACTIONS)[number];
