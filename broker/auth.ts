/**
 * Device authentication and the ACL, through aedes's hooks only (STYLE §8): `authenticate`
 * checks a credential from the accounts store, `authorizePublish` confines each client to
 * its topics and meters its message rate, `authorizeSubscribe` keeps everything but
 * services away from device topics.
 *
 * Who may do what:
 * - device (username = device id): publishes `deskprint/<site>/<device>/telemetry|status`
 *   and nothing else; subscribes to nothing.
 * - bridge (a Zigbee2MQTT, Shelly or Tasmota installation): publishes and subscribes under
 *   its topic scopes (e.g. `zigbee2mqtt/#`) only.
 * - gateway (a site-local broker's bridge): publishes under its own site's gateway prefix
 *   `deskprint/<site>/_gw/#` only, so it speaks for no other site and for no native device
 *   directly; subscribes to nothing.
 * - service (ingest or API processes against this broker): everything except `$SYS/`
 *   publishing. The in-process ingest needs no credential (client null).
 * - anonymous: refused, except with `--demo`, where it may publish anything but reserved
 *   topics (the simulator) and subscribe only to deskprint's derived topics.
 * A client that publishes faster than its rate limit is disconnected and refused for a
 * short penalty; other clients are unaffected.
 */
import type { AuthenticateHandler, AuthorizePublishHandler, AuthorizeSubscribeHandler, Client } from 'aedes';
import { DERIVED_PREFIX, deviceTopics, topicMatchesFilter, topics } from '../devices/topics.ts';
import type { Accounts, CredentialType, DeviceCredential } from '../accounts/accounts.ts';

export interface BrokerPrincipal {
  type: CredentialType | 'anonymous';
  /** Credential username; null for anonymous. */
  username: string | null;
  site: string | null;
  scopes: string[];
  /** When the credential was last confirmed not revoked. */
  checkedAt: number;
  /** A device's own topics (a gateway's one filter), worked out at its first publish. */
  topics?: readonly string[];
}

/** A connected client's credential is re-read this often, so revocation reaches live sessions. */
export const REVOCATION_CHECK_MS = 10_000;

export interface RateLimit {
  /** Sustained messages per second per client; 0 disables the limit. */
  perSecond: number;
  /** Messages a client may send at once before the sustained rate applies. */
  burst: number;
  /**
   * QoS 1 messages a client may send beyond its rate once per connection: the backlog a
   * device kept while it could not reach deskprint (its unacknowledged readings, a
   * gateway's offline buffer), which it sends all at once on reconnecting. A flood gets this
   * allowance once per connection too, then is cut off; 0 turns it off.
   */
  replayBurst?: number;
}

export interface BrokerAuthOptions {
  accounts: Accounts;
  /** Anonymous clients are allowed only in demo mode. */
  allowAnonymous: boolean;
  /** Largest PUBLISH payload accepted, bytes. */
  maxPayloadBytes: number;
  /** Per-client rate for devices and anonymous clients; bridges, gateways and services get `bridgeRateFactor` times it. */
  rate: RateLimit;
  bridgeRateFactor?: number;
  /** How long a client disconnected for flooding is refused. */
  floodPenaltyMs?: number;
  clock?: () => number;
  /** Called for a device credential on connect (registers devices added by `deskprint devices add`). */
  onDeviceConnect?: (credential: DeviceCredential) => void;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void; debug(o: object, m: string): void };
}

export interface BrokerAuth {
  authenticate: AuthenticateHandler;
  authorizePublish: AuthorizePublishHandler;
  authorizeSubscribe: AuthorizeSubscribeHandler;
  /** Counters for health and tests. */
  readonly counters: { refusedConnects: number; refusedPublishes: number; refusedSubscribes: number; floodDisconnects: number; replayed: number };
  principal(client: Client): BrokerPrincipal | undefined;
  /**
   * Stopping: every further publish from a client is refused (and its connection dropped,
   * unacknowledged), so nothing reaches the broker that ingest could not store. Connections
   * are not refused (a CONNACK refusal stops some clients, MQTT.js among them, from
   * reconnecting later); the listeners close instead (EmbeddedBroker.stopListening).
   */
  stopAccepting(): void;
}

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
const RC_IDENTIFIER_REJECTED = 2;
const RC_SERVER_UNAVAILABLE = 3;
const RC_BAD_CREDENTIALS = 4;
const RC_NOT_AUTHORIZED = 5;

function refusal(message: string, returnCode: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

export function createBrokerAuth(opts: BrokerAuthOptions): BrokerAuth {
  const now = opts.clock ?? Date.now;
  const principals = new WeakMap<Client, BrokerPrincipal>();
  const buckets = new WeakMap<Client, { tokens: number; replay: number; at: number }>();
  let stopping = false;
  /** username (or client id for anonymous) → refused until. */
  const penalties = new Map<string, number>();
  const counters = { refusedConnects: 0, refusedPublishes: 0, refusedSubscribes: 0, floodDisconnects: 0, replayed: 0 };
  const replayBurst = opts.rate.replayBurst ?? 0;
  const bridgeFactor = opts.bridgeRateFactor ?? 10;
  const penaltyMs = opts.floodPenaltyMs ?? 10_000;
  const penaltyKey = (client: Client, p: BrokerPrincipal | undefined) => (p?.username ? `u:${p.username}` : `c:${client.id}`);

  const authenticate: AuthenticateHandler = (client, username, password, callback) => {
    const refuse = (why: string, rc: number) => {
      counters.refusedConnects++;
      opts.log?.debug({ clientId: client.id, username, why }, 'MQTT connection refused');
      callback(refusal(why, rc), false);
    };
    const key = username ? `u:${username}` : `c:${client.id}`;
    const penalty = penalties.get(key);
    if (penalty !== undefined) {
      if (penalty > now()) return refuse('flood penalty', RC_SERVER_UNAVAILABLE);
      penalties.delete(key);
    }
    // One identity per client id: a credential must not take over another's session.
    const holder = (client as unknown as { broker: { clients: Record<string, Client | undefined> } }).broker.clients[client.id];
    const holderPrincipal = holder && holder !== client ? principals.get(holder) : undefined;
    if (holderPrincipal && holderPrincipal.username !== (username ?? null)) return refuse('client id in use by another identity', RC_IDENTIFIER_REJECTED);

    if (!username) {
      if (!opts.allowAnonymous) return refuse('anonymous connections are refused (credentials required outside --demo)', RC_NOT_AUTHORIZED);
      principals.set(client, { type: 'anonymous', username: null, site: null, scopes: [], checkedAt: now() });
      return callback(null, true);
    }
    opts.accounts.verifyCredential(username, password ? password.toString('utf8') : '').then(
      (credential) => {
        if (!credential) return refuse('bad username or secret', RC_BAD_CREDENTIALS);
        principals.set(client, { type: credential.type, username: credential.username, site: credential.site, scopes: credential.scopes, checkedAt: now() });
        if (credential.type === 'device') opts.onDeviceConnect?.(credential);
        callback(null, true);
      },
      (err: Error) => refuse(`credential check failed: ${err.message}`, RC_SERVER_UNAVAILABLE),
    );
  };

  /**
   * Token bucket per client (one per connection); false when the client is over its rate.
   * A QoS 1 message over the rate draws on the connection's replay allowance first.
   */
  const withinRate = (client: Client, p: BrokerPrincipal, qos: number): boolean => {
    const factor = p.type === 'device' || p.type === 'anonymous' ? 1 : bridgeFactor;
    const perSecond = opts.rate.perSecond * factor;
    if (perSecond <= 0) return true;
    const burst = Math.max(1, opts.rate.burst * factor);
    const t = now();
    let b = buckets.get(client);
    if (!b) buckets.set(client, (b = { tokens: burst, replay: replayBurst * factor, at: t }));
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    if (qos > 0 && b.replay >= 1) {
      b.replay -= 1;
      counters.replayed++;
      return true;
    }
    return false;
  };

  /** Refuses a publish; aedes then disconnects the client. */
  const refusePublish = (client: Client, p: BrokerPrincipal | undefined, topic: string, callback: (error?: Error | null) => void, why: string) => {
    counters.refusedPublishes++;
    opts.log?.debug({ clientId: client.id, username: p?.username, topic, why }, 'MQTT publish refused; disconnecting');
    callback(new Error(why));
  };

  // Runs for every message: no closures made per call (bench/RESULTS.md).
  const authorizePublish: AuthorizePublishHandler = (client, packet, callback) => {
    // In-process publishes (ingest's derived topics, an obsolete client's last will).
    if (!client) return callback(null);
    const p = principals.get(client);
    const topic = packet.topic;
    if (!p) return refusePublish(client, p, topic, callback, 'not authenticated');
    if (stopping) return refusePublish(client, p, topic, callback, 'deskprint is stopping');
    const t = now();
    if (p.username !== null && t - p.checkedAt > REVOCATION_CHECK_MS) {
      const c = opts.accounts.credential(p.username);
      if (!c || c.revokedAt !== null) return refusePublish(client, p, topic, callback, 'credential revoked');
      p.checkedAt = t;
    }
    if (!withinRate(client, p, packet.qos)) {
      counters.floodDisconnects++;
      penalties.set(penaltyKey(client, p), t + penaltyMs);
      opts.log?.warn({ clientId: client.id, username: p.username }, 'MQTT client over its message rate: disconnected');
      return refusePublish(client, p, topic, callback, 'message rate exceeded');
    }
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (size > opts.maxPayloadBytes) return refusePublish(client, p, topic, callback, `payload of ${size} bytes exceeds ${opts.maxPayloadBytes}`);
    if (topic.startsWith('$SYS/')) return refusePublish(client, p, topic, callback, '$SYS is reserved');
    if (p.type === 'service') return callback(null);
    if (topic === DERIVED_PREFIX || topic.startsWith(`${DERIVED_PREFIX}/`)) return refusePublish(client, p, topic, callback, 'derived topics are reserved for deskprint');
    switch (p.type) {
      case 'device':
        p.topics ??= deviceTopics(p.site!, p.username!);
        return p.topics.includes(topic) ? callback(null) : refusePublish(client, p, topic, callback, 'a device publishes only under its own topics');
      case 'bridge':
        for (const s of p.scopes) if (topicMatches(topic, s)) return callback(null);
        return refusePublish(client, p, topic, callback, 'outside the bridge’s topic scope');
      case 'gateway':
        p.topics ??= [topics.siteGateway(p.site!)];
        return topicMatches(topic, p.topics[0]!) ? callback(null) : refusePublish(client, p, topic, callback, 'a gateway publishes only under its site’s gateway prefix');
      case 'anonymous':
        return callback(null);
    }
  };

  const authorizeSubscribe: AuthorizeSubscribeHandler = (client, sub, callback) => {
    const p = client ? principals.get(client) : undefined;
    let allowed = false;
    if (p?.type === 'service') allowed = true;
    else if (p?.type === 'bridge') allowed = p.scopes.some((s) => filterWithin(sub.topic, s));
    else if (p?.type === 'anonymous') allowed = filterWithin(sub.topic, `${DERIVED_PREFIX}/#`);
    if (!allowed) {
      counters.refusedSubscribes++;
      opts.log?.debug({ clientId: client?.id, username: p?.username, filter: sub.topic }, 'MQTT subscription refused');
    }
    // null negates the subscription: SUBACK 0x80 for it, the connection stays up.
    callback(null, allowed ? sub : null);
  };

  return {
    authenticate,
    authorizePublish,
    authorizeSubscribe,
    counters,
    principal: (c) => principals.get(c),
    stopAccepting: () => {
      stopping = true;
    },
  };
}

/** Does a topic name match a filter (MQTT 3.1.1 §4.7)? The topic map's matcher, topic first. */
export function topicMatches(topic: string, filter: string): boolean {
  return topicMatchesFilter(filter, topic);
}

/** Is every topic matched by `filter` also matched by `scope`? (`#` fits only under `#`.) */
export function filterWithin(filter: string, scope: string): boolean {
  const f = filter.split('/');
  const s = scope.split('/');
  for (let i = 0; i < f.length; i++) {
    if (i >= s.length) return false;
    if (s[i] === '#') return !(i === 0 && f[0]!.startsWith('$'));
    if (f[i] === '#') return false;
    if (s[i] === '+') {
      if (f[i] !== '+' && f[i]!.startsWith('$') && i === 0) return false;
      continue;
    }
    if (f[i] === '+' || f[i] !== s[i]) return false;
  }
  // A filter shorter than the scope matches topics the scope does not, unless the scope ends in `/#`
  // (`a/#` also matches `a`).
  return f.length === s.length || (s.length === f.length + 1 && s[f.length] === '#');
}
