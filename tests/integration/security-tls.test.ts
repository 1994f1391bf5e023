/**
 * TLS when certificate files are configured: MQTT over TLS (mqtts), HTTPS with HSTS and
 * Secure cookies, and MQTT over secure WebSocket (wss) at /mqtt. The certificate is a
 * throw-away self-signed one made with openssl for 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { waitFor } from '../support/wait.ts';

let dp: DeskprintHandle;
let workDir: string;
let ca: Buffer;
let secret: string;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-tls-'));
  const cert = path.join(workDir, 'cert.pem');
  const key = path.join(workDir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  ca = readFileSync(cert);
  dp = await startDeskprint({
    httpPort: 0, mqttPort: 0, mqttTlsPort: 0, host: '127.0.0.1', dataDir: path.join(workDir, 'data'), logLevel: 'silent', buildDashboard: false,
    tlsCert: cert, tlsKey: key,
  });
  secret = (await dp.accounts.addCredential({ username: 'plug-n01', type: 'device', site: 'demo' })).secret;
  await dp.accounts.addUser({ name: 'mgr', role: 'manager', sites: ['demo'], password: 'a long test password' });
});

afterAll(async () => {
  await dp?.close();
  rmSync(workDir, { recursive: true, force: true });
});

function request(method: string, url: string, body?: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('with DESKPRINT_TLS_CERT and DESKPRINT_TLS_KEY', () => {
  it('serves the API over HTTPS with HSTS and Secure session cookies', async () => {
    expect(dp.httpUrl).toMatch(/^https:\/\//);
    const health = await request('GET', `${dp.httpUrl.replace('localhost', '127.0.0.1')}/api/health`);
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
    const login = await request('POST', `${dp.httpUrl}/api/auth/login`, { username: 'mgr', password: 'a long test password' });
    expect(login.status).toBe(200);
    expect(String(login.headers['set-cookie'])).toMatch(/dp_session=[^;]+;.*HttpOnly.*SameSite=Strict.*Secure/);
  });

  it('accepts devices over mqtts, verifying the server certificate', async () => {
    expect(dp.mqttsPort).toBeGreaterThan(0);
    const before = dp.ingest.counters.received;
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${dp.mqttsPort}`, { ca, username: 'plug-n01', password: secret, reconnectPeriod: 0 });
    try {
      await client.publishAsync('deskprint/demo/plug-n01/telemetry', JSON.stringify({ power_w: 12 }), { qos: 1 });
      await waitFor('the mqtts message', () => dp.ingest.counters.received > before, 5_000, 20);
    } finally {
      await client.endAsync();
    }
    // Without the certificate the client refuses the server: the connection is really TLS.
    await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${dp.mqttsPort}`, { username: 'plug-n01', password: secret, reconnectPeriod: 0, connectTimeout: 3_000 })).rejects.toThrow(
      /self[- ]signed|certificate/i,
    );
  });

  it('accepts devices over wss at /mqtt, with the same credentials and ACL', async () => {
    const before = dp.ingest.counters.received;
    const url = `wss://127.0.0.1:${dp.httpPort}/mqtt`;
    const client = await mqtt.connectAsync(url, { ca, username: 'plug-n01', password: secret, reconnectPeriod: 0 } as mqtt.IClientOptions);
    try {
      await client.publishAsync('deskprint/demo/plug-n01/telemetry', JSON.stringify({ power_w: 13 }), { qos: 1 });
      await waitFor('the wss message', () => dp.ingest.counters.received > before, 5_000, 20);
    } finally {
      await client.endAsync();
    }
    await expect(mqtt.connectAsync(url, { ca, reconnectPeriod: 0, connectTimeout: 3_000 } as mqtt.IClientOptions)).rejects.toThrow(/Not authorized/);
  });
});
