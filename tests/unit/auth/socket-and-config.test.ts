/** Socket room decisions and the security configuration keys. */
import { describe, expect, it } from 'vitest';
import { authenticateSocket, socketCanSee } from '../../../api/auth/index.ts';
import { ConfigError, loadConfig } from '../../../cli/config.ts';
import { Accounts } from '../../../accounts/accounts.ts';

describe('socketCanSee', () => {
  it('admits a user to their sites’ rooms, narrowed by role, and not after the token is revoked', async () => {
    const accounts = new Accounts();
    await accounts.addUser({ name: 'fi', role: 'funder', sites: ['demo'], password: 'a long test password' });
    const t = accounts.createToken('fi', 'x');
    const data = authenticateSocket(accounts)({ headers: {}, auth: { token: t.token } });
    expect(socketCanSee(data, 'demo')).toBe(true);
    expect(socketCanSee(data, 'other')).toBe(false);
    expect(socketCanSee(data, 'demo', ['manager'])).toBe(false);
    accounts.revokeToken(t.id);
    expect(socketCanSee(data, 'demo')).toBe(false);
    expect(socketCanSee(undefined, 'demo')).toBe(false);
    expect(() => authenticateSocket(accounts)({ headers: {} })).toThrow(/Sign in/);
  });
});

describe('security configuration', () => {
  it('has safe defaults', () => {
    const c = loadConfig({});
    expect({ rate: c.mqttRateLimit, burst: c.mqttRateBurst, packet: c.mqttMaxPacketBytes, ttl: c.sessionTtlHours, retention: c.retentionMonths, tls: c.mqttTlsPort }).toEqual({
      rate: 10, burst: 100, packet: 2 * 1024 * 1024, ttl: 12, retention: 13, tls: 8883,
    });
  });

  it('wants the TLS certificate and key together, and a packet limit no smaller than the payload limit', () => {
    expect(() => loadConfig({ tlsCert: 'cert.pem' })).toThrow(/DESKPRINT_TLS_KEY: DESKPRINT_TLS_CERT and DESKPRINT_TLS_KEY go together/);
    try {
      loadConfig({ mqttMaxPacketBytes: 1000, maxPayloadBytes: 2000 });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(['DESKPRINT_MQTT_MAX_PACKET_BYTES: must be at least DESKPRINT_MAX_PAYLOAD_BYTES']);
    }
  });
});
