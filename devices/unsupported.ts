/**
 * Traffic deskprint knows it does not read: topic layouts of ecosystems, or of ecosystem
 * settings, with no adapter. Ingest subscribes to these trees too, so that such a device
 * is counted and listed with what to change (`unsupported`) instead of vanishing: a topic
 * nobody subscribes to never reaches deskprint at all.
 */
import { topicMatchesFilter } from './topics.ts';

export interface UnsupportedLayout {
  /** Who publishes this, for the devices page. */
  readonly ecosystem: string;
  /** MQTT subscription filters of the tree. */
  readonly filters: readonly string[];
  /** What the operator can do about it; shown with every message counted. */
  readonly hint: string;
}

export const UNSUPPORTED_LAYOUTS: readonly UnsupportedLayout[] = [
  {
    ecosystem: 'tasmota',
    // FullTopic `%topic%/%prefix%/`: `tasmota_A1B2C3/tele/SENSOR` (Tasmota docs, "MQTT": FullTopic).
    filters: ['+/tele/+', '+/stat/+'],
    hint: 'Tasmota FullTopic puts %prefix% after %topic%; set FullTopic to the default %prefix%/%topic%/ (console: FullTopic %prefix%/%topic%/)',
  },
  {
    ecosystem: 'homeassistant',
    // MQTT Statestream: `<base_topic>/<domain>/<entity>/state` (home-assistant.io/integrations/mqtt_statestream).
    filters: ['homeassistant/+/+/state'],
    hint: 'Home Assistant entity states carry no device identity or unit deskprint can trust; point the device itself (Zigbee2MQTT, Shelly, Tasmota) at deskprint\'s broker',
  },
];

/** Every filter of the table, for ingest's subscription. */
export const UNSUPPORTED_FILTERS: readonly string[] = UNSUPPORTED_LAYOUTS.flatMap((l) => l.filters);

/** The known-unsupported layout a topic belongs to, if any. */
export function unsupportedLayoutOf(topic: string): UnsupportedLayout | undefined {
  return UNSUPPORTED_LAYOUTS.find((l) => l.filters.some((f) => topicMatchesFilter(f, topic)));
}
