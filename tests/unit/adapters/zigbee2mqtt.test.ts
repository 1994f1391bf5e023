/** Zigbee2MQTT behaviour beyond the golden fixtures: a configured base topic. */
import { describe, expect, it } from 'vitest';
import { createZigbee2mqttAdapter, zigbee2mqttAdapter } from '../../../devices/zigbee2mqtt/adapter.ts';

const payload = new TextEncoder().encode('{"power":48.3,"state":"ON"}');
const ctx = { receivedAt: 1_795_251_600_000 };

describe('zigbee2mqtt base topic', () => {
  const office = createZigbee2mqttAdapter({ baseTopic: 'z2m-office' });

  it('subscribes and decodes under a configured mqtt.base_topic', () => {
    expect(office.subscriptions).toEqual(['z2m-office/#']);
    expect(office.matches('z2m-office/desk-n01-plug')).toBe(true);
    expect(office.decode('z2m-office/desk-n01-plug', payload, ctx)).toEqual({
      ok: true,
      identity: { ecosystem: 'zigbee2mqtt', foreignId: 'desk-n01-plug' },
      readings: [
        { metric: 'power_w', value: 48.3, ts: ctx.receivedAt },
        { metric: 'on', value: 1, ts: ctx.receivedAt },
      ],
      checkins: [],
    });
  });

  it('leaves the default base topic to the default adapter, and the other way round', () => {
    expect(office.matches('zigbee2mqtt/desk-n01-plug')).toBe(false);
    expect(zigbee2mqttAdapter.matches('z2m-office/desk-n01-plug')).toBe(false);
    const result = office.decode('zigbee2mqtt/desk-n01-plug', payload, ctx);
    expect(result.ok === false && result.reason).toBe('unknown_topic');
  });
});
