/**
 * The one typed map of MQTT topics. Simulators publish through it, ingest subscribes through
 * it, the broker derives its ACL from it. Derived topics published by deskprint itself live
 * under `deskprint/_derived/`: `_` cannot start an id, so no device can publish there.
 */
import { ID_PATTERN } from './ids.ts';

export const TOPIC_ROOT = 'deskprint';
export const DERIVED_PREFIX = `${TOPIC_ROOT}/_derived`;

export type NativeChannel = 'telemetry' | 'status';

export const topics = {
  /** Everything of one site lives under this root: native devices, and gateways bridged under the site. */
  siteRoot: (site: string) => `${TOPIC_ROOT}/${site}`,
  telemetry: (site: string, device: string) => `${TOPIC_ROOT}/${site}/${device}/telemetry`,
  status: (site: string, device: string) => `${TOPIC_ROOT}/${site}/${device}/status`,
  /** Every native device topic, for subscriptions. */
  allNative: `${TOPIC_ROOT}/+/+/+`,
  /** Rejected messages with their reason, republished for operators. */
  rejected: (site: string | null) => `${DERIVED_PREFIX}/${site ?? '_unknown'}/rejected`,
  /** Live snapshots, for API processes that follow ingest over MQTT. */
  live: (site: string) => `${DERIVED_PREFIX}/${site}/live`,
  /** Active and recently resolved alerts (retained), for API processes. */
  alerts: (site: string) => `${DERIVED_PREFIX}/${site}/alerts`,
  /** Device activity: last seen, status, rejections, battery (retained), for API processes. */
  devices: (site: string) => `${DERIVED_PREFIX}/${site}/devices`,
  /** Everything a following API process subscribes to. */
  derivedForFollowers: [`${DERIVED_PREFIX}/+/live`, `${DERIVED_PREFIX}/+/alerts`, `${DERIVED_PREFIX}/+/devices`],
} as const;

export interface ParsedNativeTopic {
  site: string;
  device: string;
  channel: NativeChannel;
}

/** Parses `deskprint/<site>/<device>/<telemetry|status>`; null for anything else. */
export function parseNativeTopic(topic: string): ParsedNativeTopic | null {
  // A device publishes on the same topic again and again: remember what it parsed to.
  let parsed = parsedTopics.get(topic);
  if (parsed === undefined) {
    if (parsedTopics.size >= PARSED_TOPICS_KEPT) parsedTopics.clear();
    parsedTopics.set(topic, (parsed = parseTopic(topic)));
  }
  return parsed;
}

/** Enough for every device of a large installation; past it, the memory starts again. */
const PARSED_TOPICS_KEPT = 100_000;
const parsedTopics = new Map<string, Readonly<ParsedNativeTopic> | null>();

function parseTopic(topic: string): Readonly<ParsedNativeTopic> | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== TOPIC_ROOT) return null;
  const [, site, device, channel] = parts as [string, string, string, string];
  if (!ID_PATTERN.test(site) || !ID_PATTERN.test(device)) return null;
  if (channel !== 'telemetry' && channel !== 'status') return null;
  return Object.freeze({ site, device, channel });
}

/** Topics a native device may publish to: its own telemetry and status, nothing else. */
export function deviceTopics(site: string, device: string): string[] {
  return [topics.telemetry(site, device), topics.status(site, device)];
}

/** MQTT topic filter matching (`+` one level, `#` the rest, MQTT 3.1.1 §4.7). */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // Wildcards at the first level never match topics starting with `$` (MQTT 3.1.1 §4.7.2).
  const system = t[0]!.startsWith('$');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return !(i === 0 && system);
    if (i >= t.length) return false;
    if (f[i] === '+') {
      if (i === 0 && system) return false;
      continue;
    }
    if (f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
