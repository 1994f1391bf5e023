/**
 * Where a process's MQTT comes from: the embedded aedes broker in process (the one-machine
 * default), or an external broker (Mosquitto, EMQX) over MQTT.js. Ingest resumes its
 * persistent session under a fixed client id; an API process only follows derived topics
 * under a throwaway one.
 */
import type { EmbeddedBroker } from '../../broker/index.ts';
import type { BrokerAuth } from '../../broker/auth.ts';
import { registerAddedDevices } from '../../accounts/accounts.ts';
import { AedesSource, MqttSource, type MessageSource } from '../../ingest/sources.ts';
import { BucketSessions } from '../../ingest/bucket-sessions.ts';
import { createConfiguredBroker } from '../broker.ts';
import type { Foundation } from './foundation.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface Transport {
  source: MessageSource;
  /** The embedded broker and its authentication; absent with an external broker. */
  embedded?: { broker: EmbeddedBroker; auth: BrokerAuth };
  /** `deskprint ingest` on an external broker: a persistent session per owned bucket (ingest/cluster.ts). */
  buckets?: BucketSessions;
  /**
   * Opens the embedded broker's ports. Called only once ingest has subscribed: a publish
   * accepted with no subscriber would be acknowledged and lost. Nothing to open with an
   * external broker.
   */
  listen(): Promise<{ mqttPort: number | null; mqttsPort: number | null }>;
}

export interface MqttCredentials {
  url: string;
  username?: string;
  password?: string;
}

/** The configured external broker's address and credentials, or null for the embedded one. */
export function externalBroker(f: Foundation): MqttCredentials | null {
  const { config } = f;
  if (!config.mqttUrl) return null;
  return {
    url: config.mqttUrl,
    ...(config.mqttUsername ? { username: config.mqttUsername } : {}),
    ...(config.mqttPassword ? { password: config.mqttPassword } : {}),
  };
}

export async function openTransport(f: Foundation, life: Lifecycle, opts: { follower: boolean; authClock?: () => number }): Promise<Transport> {
  const external = externalBroker(f);
  if (external) {
    const listen = async () => ({ mqttPort: null, mqttsPort: null });
    if (opts.follower) return { source: new MqttSource(external), listen };
    if (f.config.role === 'ingest') {
      // Any number of `deskprint ingest` processes share the sites bucket by bucket.
      const buckets = new BucketSessions({ ...external, clientIdPrefix: f.config.mqttClientId });
      return { source: buckets, buckets, listen };
    }
    // `deskprint start` on an external broker: one process, one persistent session for everything.
    return { source: new MqttSource({ ...external, clientId: f.config.mqttClientId }), listen };
  }
  const configured = await createConfiguredBroker(f.config, f.accounts, f.log, {
    ...(opts.authClock ? { clock: opts.authClock } : {}),
    // A device added with `deskprint devices add --kind` while running: register it on connect.
    onDeviceConnect: (c) => {
      if (c.site && !f.registry.device(c.site, c.username)) registerAddedDevices(f.registry, [c]);
    },
  });
  life.defer(() => configured.broker.close());
  return { source: new AedesSource(configured.broker), embedded: { broker: configured.broker, auth: configured.auth }, listen: configured.listen };
}
