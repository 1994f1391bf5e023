/**
 * Home Assistant MQTT discovery for deskprint's derived, per-site sensors: site power,
 * desks occupied, people present, today's energy and today's kgCO2e appear in Home
 * Assistant as one device per site, without YAML (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery).
 *
 * Pure: builds messages; the caller publishes them. Discovery configs are retained so Home
 * Assistant finds them after a restart. One JSON state message per site carries every value
 * (`haStateMessage`), and each sensor picks its field with a value_template, the way
 * Zigbee2MQTT exposes a device's state.
 */
import type { LiveSnapshot } from '../api-types.ts';
import { DERIVED_PREFIX } from '../topics.ts';

/** Home Assistant's default `discovery_prefix`. */
export const HA_DISCOVERY_PREFIX = 'homeassistant';

/** Five minutes without a state message (deskprint sends one every few seconds) and Home Assistant shows the sensor as unavailable. */
export const HA_EXPIRE_AFTER_S = 300;

export interface MqttOutMessage {
  topic: string;
  /** UTF-8 text; an empty payload on a discovery topic removes the entity. */
  payload: string;
  retain: boolean;
}

export interface HaSite {
  id: string;
  name: string;
}

export interface HaDiscoveryOptions {
  discoveryPrefix?: string;
  /** deskprint's version, shown on the Home Assistant device page. */
  swVersion?: string;
}

/** The values one state message carries; null when deskprint does not know it yet. */
export interface HaSiteState {
  power_w: number;
  desks_occupied: number;
  desks_total: number;
  people_present: number;
  today_kwh: number | null;
  today_kgco2e: number | null;
}

interface HaSensor {
  key: keyof HaSiteState;
  name: string;
  unit?: string;
  /** Home Assistant SensorDeviceClass; absent where none fits (there is no class for CO₂e mass). */
  deviceClass?: string;
  stateClass: 'measurement' | 'total' | 'total_increasing';
  icon?: string;
  precision: number;
}

/**
 * Today's totals restart at local midnight: total_increasing is Home Assistant's state class
 * for a counter that only grows except when it resets, which long-term statistics handle.
 */
export const HA_SENSORS: readonly HaSensor[] = [
  { key: 'power_w', name: 'Power', unit: 'W', deviceClass: 'power', stateClass: 'measurement', precision: 0 },
  { key: 'desks_occupied', name: 'Desks occupied', unit: 'desks', stateClass: 'measurement', icon: 'mdi:desk', precision: 0 },
  { key: 'people_present', name: 'People present', unit: 'people', stateClass: 'measurement', icon: 'mdi:account-group', precision: 0 },
  { key: 'today_kwh', name: 'Energy today', unit: 'kWh', deviceClass: 'energy', stateClass: 'total_increasing', precision: 2 },
  { key: 'today_kgco2e', name: 'Carbon footprint today', unit: 'kgCO2e', stateClass: 'total_increasing', icon: 'mdi:molecule-co2', precision: 2 },
];

/** Derived topics live under `deskprint/_derived/<site>/`, where no device may publish. */
export const haTopics = {
  state: (site: string) => `${DERIVED_PREFIX}/${site}/ha/state`,
  /** Retained `online` / `offline`: whether deskprint is computing this site. */
  availability: (site: string) => `${DERIVED_PREFIX}/${site}/availability`,
  config: (site: string, key: string, prefix = HA_DISCOVERY_PREFIX) => `${prefix}/sensor/deskprint_${site}/${key}/config`,
} as const;

export const HA_PAYLOAD_ONLINE = 'online';
export const HA_PAYLOAD_OFFLINE = 'offline';

/** Retained discovery configs, one per sensor, for one site. Publish on start and when a site is added. */
export function haDiscoveryMessages(site: HaSite, options: HaDiscoveryOptions = {}): MqttOutMessage[] {
  const device = {
    identifiers: [`deskprint_${site.id}`],
    name: site.name,
    manufacturer: 'deskprint',
    model: 'Shared workspace footprint',
    ...(options.swVersion ? { sw_version: options.swVersion } : {}),
  };
  return HA_SENSORS.map((sensor) => ({
    topic: haTopics.config(site.id, sensor.key, options.discoveryPrefix),
    retain: true,
    payload: JSON.stringify({
      name: sensor.name,
      unique_id: `deskprint_${site.id}_${sensor.key}`,
      state_topic: haTopics.state(site.id),
      value_template: `{{ value_json.${sensor.key} }}`,
      ...(sensor.unit ? { unit_of_measurement: sensor.unit } : {}),
      ...(sensor.deviceClass ? { device_class: sensor.deviceClass } : {}),
      state_class: sensor.stateClass,
      suggested_display_precision: sensor.precision,
      ...(sensor.icon ? { icon: sensor.icon } : {}),
      availability_topic: haTopics.availability(site.id),
      payload_available: HA_PAYLOAD_ONLINE,
      payload_not_available: HA_PAYLOAD_OFFLINE,
      expire_after: HA_EXPIRE_AFTER_S,
      device,
      origin: { name: 'deskprint', ...(options.swVersion ? { sw_version: options.swVersion } : {}) },
    }),
  }));
}

/** Empty retained payloads on the config topics: Home Assistant removes the entities (site removed). */
export function haDiscoveryRemovals(siteId: string, options: Pick<HaDiscoveryOptions, 'discoveryPrefix'> = {}): MqttOutMessage[] {
  return HA_SENSORS.map((sensor) => ({ topic: haTopics.config(siteId, sensor.key, options.discoveryPrefix), payload: '', retain: true }));
}

/** The values Home Assistant shows, from a live snapshot. */
export function haSiteState(snapshot: LiveSnapshot): HaSiteState {
  return {
    power_w: round(snapshot.power_w.total, 1),
    desks_occupied: snapshot.desks.occupied,
    desks_total: snapshot.desks.total,
    people_present: snapshot.people_present,
    today_kwh: snapshot.today ? round(snapshot.today.kwh, 3) : null,
    today_kgco2e: snapshot.today ? round(snapshot.today.kgco2e, 3) : null,
  };
}

/**
 * The state message for a snapshot. Not retained: a stale value must not outlive deskprint;
 * `expire_after` and the availability topic cover restarts. A null renders as `None`, which
 * Home Assistant's MQTT sensor shows as unknown.
 */
export function haStateMessage(snapshot: LiveSnapshot): MqttOutMessage {
  return { topic: haTopics.state(snapshot.site), payload: JSON.stringify(haSiteState(snapshot)), retain: false };
}

/** Retained availability for a site. */
export function haAvailabilityMessage(siteId: string, online: boolean): MqttOutMessage {
  return { topic: haTopics.availability(siteId), payload: online ? HA_PAYLOAD_ONLINE : HA_PAYLOAD_OFFLINE, retain: true };
}

function round(value: number, decimals: number): number {
  const p = 10 ** decimals;
  return Math.round(value * p) / p;
}
