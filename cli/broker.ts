/**
 * `deskprint broker`: the embedded aedes broker on its own, with device authentication and
 * ACLs from the accounts database, for the separate-process shape (docker-compose.yml).
 * It serves MQTT over TCP (and TLS when configured), MQTT over WebSocket at `/mqtt` on the
 * HTTP port, and `/api/health` there. `startEmbeddedBroker` is the same broker as
 * `deskprint start` runs in process.
 */
import http from 'node:http';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createEmbeddedBroker, type EmbeddedBroker } from '../broker/index.ts';
import { createBrokerAuth, type BrokerAuth, type BrokerAuthOptions } from '../broker/auth.ts';
import { Accounts } from '../accounts/accounts.ts';
import { loadConfig, type Config, type ConfigInput } from './config.ts';
import { createLogger } from './log.ts';
import { VERSION } from './paths.ts';

export interface BrokerProcess {
  mqttPort: number;
  httpPort: number;
  close(): Promise<void>;
}

/** The configured certificate and key, read, or null without TLS. */
export function readTls(config: Config): { cert: Buffer; key: Buffer } | null {
  return config.tlsCert && config.tlsKey ? { cert: readFileSync(path.resolve(config.tlsCert)), key: readFileSync(path.resolve(config.tlsKey)) } : null;
}

/** The embedded broker as configured, not yet listening (`listen()` opens its ports). */
export interface ConfiguredBroker {
  broker: EmbeddedBroker;
  auth: BrokerAuth;
  /** Opens the MQTT port (and the TLS port with a certificate); closes the broker if it cannot. */
  listen(): Promise<{ mqttPort: number; mqttsPort: number | null }>;
}

/**
 * The embedded broker as configured: device authentication and ACLs from `accounts`, the
 * packet and rate limits. `deskprint start` listens only once ingest has subscribed: a
 * publish the broker accepted with nobody subscribed would be acknowledged and lost.
 */
export async function createConfiguredBroker(
  config: Config,
  accounts: Accounts,
  log: Logger,
  extras: Pick<BrokerAuthOptions, 'clock' | 'onDeviceConnect'> = {},
): Promise<ConfiguredBroker> {
  const auth = createBrokerAuth({
    accounts,
    allowAnonymous: config.demo,
    maxPayloadBytes: config.mqttMaxPacketBytes,
    rate: { perSecond: config.mqttRateLimit, burst: config.mqttRateBurst, replayBurst: config.mqttReplayBurst },
    ...extras,
    log: log.child({ module: 'broker:auth' }),
  });
  const broker = await createEmbeddedBroker({ ...auth, maxPacketBytes: config.mqttMaxPacketBytes });
  return {
    broker,
    auth,
    async listen() {
      try {
        const mqttPort = await broker.listenTcp(config.mqttPort, config.host);
        const tls = readTls(config);
        const mqttsPort = tls ? await broker.listenTls(config.mqttTlsPort, config.host, tls) : null;
        return { mqttPort, mqttsPort };
      } catch (err) {
        await broker.close();
        throw err;
      }
    },
  };
}

/** The configured broker, listening. */
export async function startEmbeddedBroker(
  config: Config,
  accounts: Accounts,
  log: Logger,
  extras: Pick<BrokerAuthOptions, 'clock' | 'onDeviceConnect'> = {},
): Promise<{ broker: EmbeddedBroker; auth: BrokerAuth; mqttPort: number; mqttsPort: number | null }> {
  const configured = await createConfiguredBroker(config, accounts, log, extras);
  return { broker: configured.broker, auth: configured.auth, ...(await configured.listen()) };
}

export async function startBrokerProcess(input: ConfigInput): Promise<BrokerProcess> {
  const config = loadConfig({ ...input, role: 'all', mqttUrl: undefined });
  const log = createLogger(config.logLevel);
  const accounts = new Accounts({ file: path.join(path.resolve(config.dataDir), 'accounts.db') });
  let broker: EmbeddedBroker;
  let mqttPort: number;
  try {
    ({ broker, mqttPort } = await startEmbeddedBroker(config, accounts, log));
  } catch (err) {
    accounts.close();
    throw err;
  }
  const started = Date.now();
  const server = http.createServer((req, res) => {
    if (req.url === '/api/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', version: VERSION, uptime_s: Math.round((Date.now() - started) / 1000), broker: { embedded: true, clients: broker.clients() } }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'ERR_NOT_FOUND', message: 'The broker process serves /api/health and MQTT over WebSocket at /mqtt' } }));
  });
  broker.attachWebSocket(server, '/mqtt');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpPort, config.host, () => resolve());
  });
  const httpPort = (server.address() as AddressInfo).port;
  log.info({ mqttPort, httpPort }, `deskprint ${VERSION} broker: MQTT port ${mqttPort}, WebSocket :${httpPort}/mqtt`);
  return {
    mqttPort,
    httpPort,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await broker.close();
      accounts.close();
    },
  };
}
