/**
 * Configuration, parsed once with zod at start-up (STYLE §7): flags override
 * `DESKPRINT_*` environment variables, which override the schema defaults. Every problem is
 * listed as `PATH: message`; the result is frozen. `.env.example` documents every key.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { TrustProxy } from '../api/app.ts';
import { reportConfigOf, reportSettingProblems, type ReportConfig } from '../api/reports/config.ts';

const port = z.coerce.number().int().min(0).max(65_535);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v))]);
const optionalString = z.string().optional().transform((v) => (v === '' ? undefined : v));

/** express's names for address ranges (proxy-addr). */
const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** `DESKPRINT_TRUST_PROXY`: none, a hop count, or addresses, subnets and range names. */
function parseTrustProxy(raw: string, ctx: z.RefinementCtx): TrustProxy {
  const v = raw.trim();
  if (v === '' || v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  if (v === 'true') {
    ctx.addIssue({ code: 'custom', message: 'true would believe any X-Forwarded-For, the client\'s own included; name the proxy (an address, subnet or loopback) or give a hop count' });
    return false;
  }
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of list) {
    const [address, bits, ...rest] = entry.split('/');
    const ok = TRUST_PROXY_NAMES.includes(entry) || (rest.length === 0 && isIP(address!) !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits)));
    if (!ok) ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address, a subnet (10.0.0.0/8) or one of ${TRUST_PROXY_NAMES.join(', ')}` });
  }
  return list;
}

export const configSchema = z
  .object({
    demo: bool.default(false),
    /**
     * Which parts this process runs: `all` (the one-process default), `ingest` (ingest and the
     * API against an external broker), `api` (a stateless API following ingest over MQTT).
     * `deskprint broker` runs the embedded broker alone.
     */
    role: z.enum(['all', 'ingest', 'api']).default('all'),
    dataDir: z.string().min(1).default('./data'),
    host: z.string().min(1).default('0.0.0.0'),
    httpPort: port.default(8080),
    mqttPort: port.default(1883),
    /** External broker URL; empty means the embedded aedes broker. */
    mqttUrl: optionalString.pipe(z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'must start with mqtt://, mqtts://, ws:// or wss://').optional()),
    /**
     * Client id of ingest's persistent session on an external broker: the broker queues the
     * session's QoS 1 messages while ingest is away and delivers them when a process with this
     * id connects again. One ingest process per id.
     */
    mqttClientId: z.string().min(1).max(59).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only').default('deskprint-ingest'),
    /**
     * Past one machine (`deskprint ingest` on an external broker): sites map to this many
     * buckets, each owned by one ingest process at a time with a persistent session of its
     * own (`<mqttClientId>-b<bucket>`). Fixed at the first start: changing it needs every
     * ingest process stopped (docs/production.md).
     */
    buckets: z.coerce.number().int().min(1).max(1024).default(16),
    /**
     * Where the bucket leases live: a `postgres://` URL when ingest processes span hosts;
     * empty means the SQLite registry file in the data directory (processes on one machine).
     */
    registryUrl: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional()),
    /** A bucket's lease: an owner that stops renewing loses its buckets to others after this long. */
    leaseTtlMs: z.coerce.number().int().min(1_000).max(300_000).default(10_000),
    mqttUsername: optionalString,
    mqttPassword: optionalString,
    sites: z.array(z.string().min(1)).min(1).default(['sites/demo.yaml']),
    store: z.enum(['sqlite', 'influx']).default('sqlite'),
    influxUrl: optionalString.pipe(z.url().optional()),
    influxDatabase: optionalString,
    influxToken: optionalString,
    influxUsername: optionalString,
    influxPassword: optionalString,
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    maxPayloadBytes: z.coerce.number().int().positive().default(256 * 1024),
    /** The aggregate live view readable without sign-in (lobby display); defaults to on with --demo. */
    publicLive: bool.optional(),
    /** Zigbee2MQTT's base topic (its `mqtt.base_topic` setting). */
    zigbee2mqttBaseTopic: z.string().min(1).regex(/^[^#+]+$/, 'no MQTT wildcards').default('zigbee2mqtt'),
    /** Publish Home Assistant MQTT discovery for each site's derived sensors. */
    haDiscovery: bool.default(false),
    haDiscoveryPrefix: z.string().min(1).default('homeassistant'),
    /** Run the demo building's simulator in process (with --demo). */
    simulate: bool.default(true),
    /** Build the dashboard on start when dashboard/dist is missing or older than its sources. */
    buildDashboard: bool.default(true),
    /** PEM certificate and key files: with both, MQTT over TLS on mqttTlsPort and HTTPS (and wss) on httpPort. */
    tlsCert: optionalString,
    tlsKey: optionalString,
    mqttTlsPort: port.default(8883),
    /**
     * Largest MQTT packet the embedded broker accepts; a larger one drops the connection.
     * Above maxPayloadBytes, so ingest still counts (and reports) moderately oversize payloads.
     */
    mqttMaxPacketBytes: z.coerce.number().int().positive().default(2 * 1024 * 1024),
    /** Messages per second one MQTT client may sustain (bridges and services: 10×); 0 disables. */
    mqttRateLimit: z.coerce.number().min(0).default(10),
    /** Messages one MQTT client may send at once before the sustained rate applies. */
    mqttRateBurst: z.coerce.number().int().positive().default(100),
    /**
     * QoS 1 messages a client may send beyond its rate once per connection: a device's
     * backlog replayed on reconnecting (broker/auth.ts). 0 treats a replay like a flood.
     */
    mqttReplayBurst: z.coerce.number().int().min(0).default(5_000),
    /** Lifetime of a dashboard sign-in (session cookie). */
    sessionTtlHours: z.coerce.number().positive().default(12),
    /** Months identifiable presence data (check-ins, presence sessions) is kept; aggregates stay. */
    retentionMonths: z.coerce.number().int().positive().default(13),
    /** An HTTP client must send its whole request headers within this (slowloris); Node's default is 60 s. */
    httpHeadersTimeoutMs: z.coerce.number().int().positive().default(20_000),
    /** …and its whole request, body included (at most 1 MiB), within this. */
    httpRequestTimeoutMs: z.coerce.number().int().positive().default(60_000),
    /** An idle keep-alive HTTP connection closes after this. */
    httpKeepAliveTimeoutMs: z.coerce.number().int().positive().default(5_000),
    /** Open HTTP connections at most, WebSockets (live dashboards, MQTT over WebSocket) included; more are closed at once. */
    httpMaxConnections: z.coerce.number().int().positive().default(1_000),
    /** Failed sign-ins one client address may make per 15 minutes, whatever the usernames (password spraying). */
    loginFailuresPerAddress: z.coerce.number().int().positive().default(50),
    /**
     * The reverse proxy whose X-Forwarded-For names the client (express `trust proxy`), for
     * the sign-in limiter and the audit log: its addresses or subnets, comma-separated (or
     * `loopback`, `linklocal`, `uniquelocal`), or a hop count. Empty: none; the connection's
     * address is the client's.
     */
    trustProxy: z.string().default('').transform((v, ctx) => parseTrustProxy(v, ctx)),
    /**
     * Report delivery (docs/reports.md): the SMTP server, the sender, funders per site
     * (`site:email,…`), schedules per site (`site:monthly|weekly|off,…`) and how many closed
     * periods each run looks back at. Checked together below.
     */
    smtpUrl: optionalString,
    smtpFrom: optionalString,
    reportRecipients: optionalString,
    reportSchedule: optionalString,
    reportBackfill: z.union([z.string(), z.number().transform(String)]).optional().transform((v) => (v === '' ? undefined : v)),
  })
  .superRefine((c, ctx) => {
    for (const p of reportSettingProblems(c)) ctx.addIssue({ code: 'custom', path: [p.key], message: p.message });
    if (Boolean(c.tlsCert) !== Boolean(c.tlsKey)) {
      ctx.addIssue({ code: 'custom', path: [c.tlsCert ? 'tlsKey' : 'tlsCert'], message: 'DESKPRINT_TLS_CERT and DESKPRINT_TLS_KEY go together' });
    }
    if (c.httpHeadersTimeoutMs > c.httpRequestTimeoutMs) {
      ctx.addIssue({ code: 'custom', path: ['httpHeadersTimeoutMs'], message: 'must be at most DESKPRINT_HTTP_REQUEST_TIMEOUT_MS' });
    }
    if (c.mqttMaxPacketBytes < c.maxPayloadBytes) {
      ctx.addIssue({ code: 'custom', path: ['mqttMaxPacketBytes'], message: 'must be at least DESKPRINT_MAX_PAYLOAD_BYTES' });
    }
    if (c.store === 'influx') {
      if (!c.influxUrl) ctx.addIssue({ code: 'custom', path: ['influxUrl'], message: 'DESKPRINT_INFLUX_URL is required with --store influx' });
      if (!c.influxDatabase) ctx.addIssue({ code: 'custom', path: ['influxDatabase'], message: 'DESKPRINT_INFLUX_DATABASE is required with --store influx' });
      if (c.influxToken && (c.influxUsername || c.influxPassword)) {
        ctx.addIssue({ code: 'custom', path: ['influxToken'], message: 'use a token or a username/password, not both' });
      }
    }
  });

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;

/** The report delivery settings of a loaded configuration (valid: loadConfig checked them). */
export function reportConfig(config: Config): ReportConfig {
  return reportConfigOf(config);
}

/** Environment variable for each key: DESKPRINT_ + SCREAMING_SNAKE_CASE. */
export function envName(key: string): string {
  return `DESKPRINT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads DESKPRINT_* variables for every schema key. Lists (sites) are comma-separated. */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[envName(key)];
    if (v === undefined) continue;
    out[key] = key === 'sites' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  }
  return out as ConfigInput;
}

/** Validates and freezes; throws ConfigError listing every problem as `PATH: message`. */
export function loadConfig(...layers: ConfigInput[]): Config {
  const merged = Object.assign({}, ...layers.map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined))));
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.length ? envName(String(i.path[0])) : '(root)'}: ${i.message}`));
  }
  return Object.freeze({ ...result.data, sites: Object.freeze([...result.data.sites]) as string[] });
}
