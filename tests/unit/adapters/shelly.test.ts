/** Shelly behaviour beyond the golden fixtures: messages that carry several channels. */
import { describe, expect, it } from 'vitest';
import { decodeShellyChannels, shellyAdapter } from '../../../devices/shelly/adapter.ts';

const receivedAt = 1_795_251_600_000;
const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('shelly multi-channel messages', () => {
  const pro4pm = 'shellypro4pm-f008d1d8b8b8';
  const twoSwitches = encode({
    src: pro4pm,
    method: 'NotifyStatus',
    params: { ts: 1795251599.9, 'switch:0': { id: 0, apower: 61.2 }, 'switch:2': { id: 2, apower: 12.8, output: true } },
  });

  it('decodeChannels returns one result per channel, each under its own foreign id and the notification time', () => {
    const results = decodeShellyChannels(`${pro4pm}/events/rpc`, twoSwitches, { receivedAt });
    expect(results).toEqual([
      { ok: true, identity: { ecosystem: 'shelly', foreignId: `${pro4pm}:switch:0` }, readings: [{ metric: 'power_w', value: 61.2, ts: 1795251599900 }], checkins: [] },
      {
        ok: true,
        identity: { ecosystem: 'shelly', foreignId: `${pro4pm}:switch:2` },
        readings: [
          { metric: 'power_w', value: 12.8, ts: 1795251599900 },
          { metric: 'on', value: 1, ts: 1795251599900 },
        ],
        checkins: [],
      },
    ]);
    expect(shellyAdapter.decodeChannels).toBe(decodeShellyChannels);
  });

  it('merges a meter and its energy data (em:0 + emdata:0) into the one channel they describe', () => {
    const pro3em = 'shellypro3em-c8f09e8a1b2c';
    const results = decodeShellyChannels(
      `${pro3em}/events/rpc`,
      encode({ method: 'NotifyFullStatus', params: { ts: 1795251590, 'em:0': { id: 0, total_act_power: 1337.7 }, 'emdata:0': { id: 0, total_act: 3512480.12 }, sys: { uptime: 5 } } }),
      { receivedAt },
    );
    expect(results).toEqual([
      {
        ok: true,
        identity: { ecosystem: 'shelly', foreignId: `${pro3em}:em:0` },
        readings: [
          { metric: 'power_w', value: 1337.7, ts: 1795251590000 },
          { metric: 'energy_wh', value: 3512480.12, ts: 1795251590000 },
        ],
        checkins: [],
      },
    ]);
    // One channel: the single-result decode carries it too.
    expect(shellyAdapter.decode(`${pro3em}/events/rpc`, encode({ method: 'NotifyFullStatus', params: { ts: 1795251590, 'em:0': { id: 0, total_act_power: 1337.7 }, 'emdata:0': { id: 0, total_act: 3512480.12 } } }), { receivedAt }))
      .toEqual(results[0]);
  });

  it('stamps with the receive time when the device clock is not set yet (ts before 2000)', () => {
    const [result] = decodeShellyChannels(
      'shellyplus1pm-a8032ab12345/events/rpc',
      encode({ method: 'NotifyStatus', params: { ts: 12.5, 'switch:0': { id: 0, apower: 40 } } }),
      { receivedAt },
    );
    expect(result).toMatchObject({ ok: true, readings: [{ metric: 'power_w', value: 40, ts: receivedAt }] });
  });

  it('rejects the whole message when one of its channels is malformed', () => {
    const results = decodeShellyChannels(
      `${pro4pm}/events/rpc`,
      encode({ method: 'NotifyStatus', params: { 'switch:0': { apower: 61.2 }, 'switch:1': { apower: 'lots' } } }),
      { receivedAt },
    );
    expect(results).toEqual([
      { ok: false, reason: 'schema', message: 'params.switch:1: apower: Invalid input: expected number, received string', identity: { ecosystem: 'shelly', foreignId: `${pro4pm}:switch:1` } },
    ]);
  });
});
