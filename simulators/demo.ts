/**
 * The demo simulator behind `deskprint start --demo`: the site's building model published
 * live over real MQTT, one client per device. In demo mode the building looks busy at any
 * wall-clock hour: members already present at start, coming and going every minute or two,
 * readings every few seconds.
 */
import type { SiteFile } from '../devices/site.ts';
import { BuildingModel } from './building.ts';
import { DeviceFleet } from './fleet.ts';
import { defaultScenario } from './scenario.ts';
import { VendorSink } from './vendors.ts';

export interface SimulatorHandle {
  stop(): Promise<void>;
  readonly published: number;
}

export interface StartSimulatorOptions {
  site: SiteFile;
  mqttUrl: string;
  /**
   * 1 = real time (default). Payload timestamps follow the simulated clock, which starts at
   * the wall clock: above 1 it runs ahead, and ingest rejects timestamps more than 5 min in the
   * future. For accelerated history use runScenario (simulators/run.ts) with a past period.
   */
  speed?: number;
  seed?: number;
  /** The building looks busy at any wall-clock hour. */
  demo?: boolean;
  log?: (msg: string) => void;
  /** How often the model is advanced to the wall clock, ms. */
  tickMs?: number;
  /** Counter readings (Wh) to continue from, by device id (see BuildingOptions). */
  initialCounters?: Readonly<Record<string, number>>;
  /**
   * deskprint's base URL: devices delivered by a vendor cloud (Disruptive Technologies,
   * Butlr) POST there, signed with the secret their site file names (simulators/vendors.ts).
   */
  webhookUrl?: string;
}

export async function startSimulator(opts: StartSimulatorOptions): Promise<SimulatorHandle> {
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw new Error(`simulator speed must be positive, got ${speed}`);
  const scenario = defaultScenario(opts.site);
  const devices = await DeviceFleet.connect({
    url: opts.mqttUrl,
    site: opts.site.id,
    devices: opts.site.devices.map((d) => d.id),
    ...(opts.log ? { log: opts.log } : {}),
  });
  // LoRaWAN and vendor-cloud devices speak their vendor's format (simulators/vendors.ts).
  const fleet = new VendorSink(devices, { site: opts.site, ...(opts.webhookUrl ? { webhookUrl: opts.webhookUrl } : {}), ...(opts.log ? { log: opts.log } : {}) });
  // The wall clock is read here, in the runner, never inside the model.
  const wallStart = Date.now();
  const model = new BuildingModel({
    scenario,
    seed: opts.seed ?? scenario.seed,
    start: wallStart,
    demo: opts.demo ?? false,
    ...(opts.initialCounters ? { initialCounters: opts.initialCounters } : {}),
  });
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const simNow = wallStart + Math.floor((Date.now() - wallStart) * speed);
    for (const msg of model.advance(simNow)) void fleet.publish(msg);
  };
  tick();
  const timer = setInterval(tick, opts.tickMs ?? 250);
  opts.log?.(`simulator: publishing site "${opts.site.id}" (${opts.site.devices.length} devices${opts.demo ? ', demo mode' : ''}, speed ${speed}×)`);
  return {
    get published() {
      return devices.published;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await fleet.close();
    },
  };
}
