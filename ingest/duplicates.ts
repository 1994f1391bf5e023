/**
 * Recent samples per device, to tell a re-delivery from a new reading (docs/errors.md
 * `duplicate`). QoS 1 is "at least once": a device that lost its connection before the
 * PUBACK arrived sends the message again, and a gateway may flush a buffer twice. Storing
 * those again is harmless (identical points overwrite), but counting them would inflate the
 * reading counters and the live figures that read them.
 *
 * A reading is a duplicate when the same device already sent the same metric at the same
 * timestamp with the same value within its last `perDevice` sample timestamps; the same
 * metric and timestamp with a different value is a conflict: it is kept (the later value
 * overwrites in the store, as InfluxDB does) and counted.
 */
import type { Reading } from '../devices/adapter.ts';

export interface SampleCheck {
  /** Readings not seen before (conflicts included), in their original order. */
  fresh: Reading[];
  duplicates: number;
  conflicts: number;
}

/** One device's last sample timestamps and their values by metric, oldest first. */
class DeviceSamples {
  readonly byTs = new Map<number, Map<string, number>>();
}

export class RecentSamples {
  readonly #perDevice: number;
  readonly #devices = new WeakMap<object, DeviceSamples>();

  /** `perDevice`: how many distinct sample timestamps are remembered per device. */
  constructor(perDevice = 256) {
    this.#perDevice = perDevice;
  }

  /**
   * Sorts a message's readings into fresh ones and duplicates, and remembers the fresh.
   * `device` is the registered device object (a reloaded site gives new objects, and
   * forgets, which errs on the side of counting).
   */
  check(device: object, readings: readonly Reading[]): SampleCheck {
    let samples = this.#devices.get(device);
    if (!samples) this.#devices.set(device, (samples = new DeviceSamples()));
    const byTs = samples.byTs;
    let fresh: Reading[] | undefined;
    let duplicates = 0;
    let conflicts = 0;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      let metrics = byTs.get(r.ts);
      const seen = metrics?.get(r.metric);
      if (seen !== undefined && seen === r.value) {
        duplicates++;
        // The first duplicate: copy what came before it, then skip this one.
        fresh ??= readings.slice(0, i);
        continue;
      }
      if (seen !== undefined) conflicts++;
      fresh?.push(r);
      if (!metrics) {
        byTs.set(r.ts, (metrics = new Map()));
        if (byTs.size > this.#perDevice) byTs.delete(byTs.keys().next().value!);
      }
      metrics.set(r.metric, r.value);
    }
    return { fresh: fresh ?? (readings as Reading[]), duplicates, conflicts };
  }
}
