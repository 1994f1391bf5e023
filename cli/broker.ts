/**
 * `deskprint broker`: the embedded aedes broker on its own, with device authentication and
 * ACLs from the accounts database, for the separate-process shape (docker-compose.yml).
 * It serves MQTT over TCP (and TLS when configured), MQTT over WebSocket at `/mqtt` on the
 * HTTP port, and `/api/health` there for container health checks.
 */
import http from 'node:http';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createEmbeddedBroker } from '../broker/index.ts';
import { createBrokerAuth } from '../broker/auth.ts';
import { Registry } from '../store/registry.ts';
import { Accounts } from '../store/accounts.ts';
import { loadConfig, type ConfigInput } from './config.ts';
import { createLogger } from './log.ts';
import { VERSION, loadSiteFiles } from './paths.ts';

export interface BrokerProcess {
  mqttPort: number;
  httpPort: number;
  close(): Promise<void>;
}

export async function startBrokerProcess(input: ConfigInput): Promise<BrokerProcess> {
  const config = loadConfig({ ...input, role: 'all', mqttUrl: undefined });
  const log = createLogger(config.logLevel);
  const dataDir = path.resolve(config.dataDir);
  const registry = new Registry(path.join(dataDir, 'registry.db'));
  for (const site of loadSiteFiles(config.sites)) registry.loadSite(site);
  const accounts = new Accounts({ file: path.join(dataDir, 'accounts.db') });
  const auth = createBrokerAuth({
    accounts,
    allowAnonymous: config.demo,
    maxPayloadBytes: config.mqttMaxPacketBytes,
    rate: { perSecond: config.mqttRateLimit, burst: config.mqttRateBurst },
    log: log.child({ module: 'broker:auth' }),
  });
  const broker = await createEmbeddedBroker({ ...auth, maxPacketBytes: config.mqttMaxPacketBytes });
  const mqttPort = await broker.listenTcp(config.mqttPort, config.host);
  const tls = config.tlsCert && config.tlsKey ? { cert: readFileSync(path.resolve(config.tlsCert)), key: readFileSync(path.resolve(config.tlsKey)) } : null;
  if (tls) await broker.listenTls(config.mqttTlsPort, config.host, tls);
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
      registry.close();
    },
  };
}
