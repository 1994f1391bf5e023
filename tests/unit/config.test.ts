import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, envName, loadConfig, reportConfig } from '../../cli/config.ts';

describe('configuration', () => {
  it('has defaults for a one-command start', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ httpPort: 8080, mqttPort: 1883, dataDir: './data', store: 'sqlite', sites: ['sites/demo.yaml'], demo: false });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads DESKPRINT_* variables, and flags override them', () => {
    const env = configFromEnv({ DESKPRINT_HTTP_PORT: '9090', DESKPRINT_MQTT_PORT: '0', DESKPRINT_SITES: 'a.yaml, b.yaml', DESKPRINT_DEMO: 'true' });
    expect(loadConfig(env)).toMatchObject({ httpPort: 9090, mqttPort: 0, sites: ['a.yaml', 'b.yaml'], demo: true });
    expect(loadConfig(env, { httpPort: 0 }).httpPort).toBe(0);
  });

  const problemsOf = (input: object): string[] => {
    try {
      loadConfig(input as never);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    return [];
  };

  it('lists every problem as ENV_NAME: message', () => {
    expect(problemsOf({ httpPort: '99999', logLevel: 'loud', mqttUrl: 'http://x' })).toEqual([
      expect.stringMatching(/^DESKPRINT_HTTP_PORT: /),
      expect.stringMatching(/^DESKPRINT_MQTT_URL: must start with mqtt:/),
      expect.stringMatching(/^DESKPRINT_LOG_LEVEL: /),
    ]);
    expect(problemsOf({ store: 'influx' })).toEqual([
      'DESKPRINT_INFLUX_URL: DESKPRINT_INFLUX_URL is required with --store influx',
      'DESKPRINT_INFLUX_DATABASE: DESKPRINT_INFLUX_DATABASE is required with --store influx',
    ]);
  });

  it('trusts no proxy by default, and takes addresses, subnets, range names or a hop count, but not true', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig(configFromEnv({ DESKPRINT_TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' })).trustProxy).toEqual(['loopback', '10.0.0.0/8', '::1']);
    expect(loadConfig({ trustProxy: '1' }).trustProxy).toBe(1);
    expect(problemsOf({ trustProxy: 'true' })).toEqual([expect.stringMatching(/^DESKPRINT_TRUST_PROXY: true would believe any X-Forwarded-For/)]);
    expect(problemsOf({ trustProxy: 'proxy.local' })).toEqual([expect.stringMatching(/^DESKPRINT_TRUST_PROXY: "proxy.local" is not an IP address/)]);
  });

  it('bounds HTTP sockets by default, and keeps the header timeout within the request timeout', () => {
    expect(loadConfig({})).toMatchObject({ httpHeadersTimeoutMs: 20_000, httpRequestTimeoutMs: 60_000, httpKeepAliveTimeoutMs: 5_000, httpMaxConnections: 1_000 });
    expect(problemsOf({ httpHeadersTimeoutMs: '70000' })).toEqual(['DESKPRINT_HTTP_HEADERS_TIMEOUT_MS: must be at most DESKPRINT_HTTP_REQUEST_TIMEOUT_MS']);
  });

  it('parses the report delivery settings with the rest, listing their problems the same way', () => {
    const env = configFromEnv({
      DESKPRINT_SMTP_URL: 'smtp://mail.example.org:587', DESKPRINT_SMTP_FROM: 'reports@example.org',
      DESKPRINT_REPORT_RECIPIENTS: 'demo:grants@fund.example', DESKPRINT_REPORT_SCHEDULE: 'demo:weekly', DESKPRINT_REPORT_BACKFILL: '6',
    });
    const r = reportConfig(loadConfig(env));
    expect(r).toMatchObject({ smtpUrl: 'smtp://mail.example.org:587', smtpFrom: 'reports@example.org', backfill: 6 });
    expect(r.recipients.get('demo')).toEqual(['grants@fund.example']);
    expect(r.schedules.get('demo')).toBe('weekly');
    expect(reportConfig(loadConfig({})).backfill).toBe(3);
    expect(problemsOf({ smtpUrl: 'http://mail', reportSchedule: 'demo:daily', reportBackfill: 0 })).toEqual([
      'DESKPRINT_SMTP_URL: must start with smtp:// or smtps://',
      'DESKPRINT_SMTP_FROM: required with DESKPRINT_SMTP_URL (the sender address)',
      'DESKPRINT_REPORT_SCHEDULE: "daily" for site "demo" is not one of monthly, weekly, off',
      'DESKPRINT_REPORT_BACKFILL: a whole number of periods from 1 to 24',
    ]);
  });

  it('derives environment names from keys', () => {
    expect(envName('maxPayloadBytes')).toBe('DESKPRINT_MAX_PAYLOAD_BYTES');
    expect(envName('influxUrl')).toBe('DESKPRINT_INFLUX_URL');
  });
});
