/**
 * Home Assistant MQTT discovery, as a Home Assistant instance would see it: retained
 * discovery configs for the demo site's derived sensors, an online availability, and state
 * messages whose values match the live view.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { waitFor } from '../support/wait.ts';

let dp: DeskprintHandle;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-ha-'));
  dp = await startDeskprint({ demo: true, httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false, haDiscovery: true });
});

afterAll(async () => {
  await dp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Home Assistant discovery', () => {
  it('announces the site sensors (retained), marks them online, and sends their state', async () => {
    // A client connecting later, as Home Assistant does after a restart, still gets the configs.
    // Home Assistant signs in with a service credential (`deskprint devices add --service`).
    const { secret } = await dp.accounts.addCredential({ username: 'home-assistant', type: 'service', site: null });
    const ha = await mqtt.connectAsync(dp.mqttUrl, { clientId: 'home-assistant', username: 'home-assistant', password: secret });
    const got = new Map<string, string>();
    ha.on('message', (t, p) => got.set(t, p.toString()));
    try {
      await ha.subscribeAsync(['homeassistant/#', 'deskprint/_derived/demo/availability', 'deskprint/_derived/demo/ha/state']);
      await waitFor('discovery configs, availability and a state message', () =>
        [...got.keys()].filter((t) => t.startsWith('homeassistant/sensor/')).length >= 3 && got.has('deskprint/_derived/demo/availability') && got.has('deskprint/_derived/demo/ha/state'),
      );
      const configs = [...got.entries()].filter(([t]) => t.startsWith('homeassistant/sensor/')).map(([, p]) => JSON.parse(p) as Record<string, unknown>);
      const power = configs.find((c) => c.device_class === 'power');
      expect(power).toMatchObject({ state_topic: 'deskprint/_derived/demo/ha/state', availability_topic: 'deskprint/_derived/demo/availability', state_class: 'measurement' });
      expect(got.get('deskprint/_derived/demo/availability')).toBe('online');
      const state = JSON.parse(got.get('deskprint/_derived/demo/ha/state')!) as Record<string, number>;
      const key = String(power!.value_template).match(/value_json\.(\w+)/)![1]!;
      expect(state[key]).toBeGreaterThan(0);
    } finally {
      await ha.endAsync();
    }
  });
});
