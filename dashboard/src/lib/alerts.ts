/** How the alerts page names and marks each kind of alert (Okabe–Ito colours, always with a text tag). */
import type { Alert, AlertKind } from '../../../devices/api-types.ts';
import { OKABE_ITO } from './categories.ts';

export const ALERT_LABEL: Readonly<Record<AlertKind, string>> = {
  lights_empty_zone: 'Lights in an empty zone',
  heating_empty_zone: 'Heating in an empty zone',
  plug_after_hours: 'Desk power after hours',
  device_silent: 'Device silent',
  device_offline: 'Device offline',
  battery_low: 'Battery low',
};

/** Waste costs energy now; maintenance costs data. */
export function isWaste(kind: AlertKind): boolean {
  return kind === 'lights_empty_zone' || kind === 'heating_empty_zone' || kind === 'plug_after_hours';
}

export const ALERT_COLOUR: Readonly<Record<AlertKind, string>> = {
  lights_empty_zone: OKABE_ITO.orange,
  heating_empty_zone: OKABE_ITO.vermillion,
  plug_after_hours: OKABE_ITO.reddishPurple,
  device_silent: OKABE_ITO.blue,
  device_offline: OKABE_ITO.blue,
  battery_low: OKABE_ITO.skyBlue,
};

/** What to do about it, in one line. */
export const ALERT_ACTION: Readonly<Record<AlertKind, string>> = {
  lights_empty_zone: 'Switch the lights off, or check the zone’s presence sensors and timer.',
  heating_empty_zone: 'Lower the setpoint or check the heating schedule for this zone.',
  plug_after_hours: 'Ask the desk’s regular to switch off, or put the plug on a schedule.',
  device_silent: 'Check the device’s power and its link to the gateway or broker.',
  device_offline: 'Check the device or its bridge (Zigbee2MQTT, Shelly) is powered and connected.',
  battery_low: 'Replace the battery before the device stops reporting.',
};

/** Waste alerts first, then by how long they have run. */
export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => Number(isWaste(b.kind)) - Number(isWaste(a.kind)) || a.since - b.since);
}
