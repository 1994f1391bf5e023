/**
 * The one explicit index of device ecosystem adapters. A folder under devices/ with an
 * adapter.ts must be listed here (tests/unit/adapters/index.test.ts fails otherwise).
 */
import type { Adapter } from './adapter.ts';
import { nativeAdapter } from './native/adapter.ts';
import { shellyAdapter } from './shelly/adapter.ts';
import { tasmotaAdapter } from './tasmota/adapter.ts';
import { zigbee2mqttAdapter } from './zigbee2mqtt/adapter.ts';
import { ttsAdapter } from './tts/adapter.ts';
import { chirpstackAdapter } from './chirpstack/adapter.ts';
import { disruptiveAdapter } from './disruptive/adapter.ts';
import { butlrAdapter } from './butlr/adapter.ts';
import { sparkplugAdapter } from './sparkplug/adapter.ts';

/**
 * Order matters for `adapterFor`: native first (the common case), then the ecosystems with a
 * fixed topic root, and Shelly last, because a Gen2 topic prefix can be any string and Shelly
 * recognises its topics by their suffix (`/online`, `/events/rpc`, `/status/<component>`).
 */
export const ADAPTERS: readonly Adapter[] = [nativeAdapter, zigbee2mqttAdapter, tasmotaAdapter, ttsAdapter, chirpstackAdapter, disruptiveAdapter, butlrAdapter, sparkplugAdapter, shellyAdapter];

/** The adapter that owns a topic, or undefined. */
export function adapterFor(topic: string): Adapter | undefined {
  return ADAPTERS.find((a) => a.matches(topic));
}

export * from './adapter.ts';
export * from './catalogue.ts';
export * from './kinds.ts';
export * from './topics.ts';
export * from './rejections.ts';
export * from './ids.ts';
