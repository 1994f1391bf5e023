/**
 * The devices page for facility managers (issue 7): `GET /sites/:site/devices` lists every
 * registered device with its last message, status, battery and rejected messages, and the
 * foreign devices heard on the broker that no site file assigns yet.
 */
import { Router } from 'express';
import type { DeviceStatus, DevicesResponse, UnsupportedTrafficView } from '../../devices/api-types.ts';
import { DEVICE_KINDS } from '../../devices/kinds.ts';
import type { Registry, RegisteredDevice } from '../../store/registry.ts';
import { managersOnly } from './alerts.ts';
import { requireSite } from './core.ts';
import type { UnsupportedTraffic } from '../../ingest/pipeline.ts';

/** Silent after this many missed reporting intervals, as the live view and alerts count. */
const SILENT_CADENCES = 3;

export interface DeviceActivityView {
  lastSeen: number;
  status: 'online' | 'offline' | null;
  rejected: number;
  lastRejected: string | null;
}

export interface DeviceRouteDeps {
  registry: Registry;
  /** Ingest's per-device activity (`Ingest.activity`, keyed `site/device`). */
  activity: (site: string, device: string) => DeviceActivityView | undefined;
  /** Latest battery reading (the alerts processor keeps it). */
  battery?: (site: string, device: string) => { value: number; ts: number } | undefined;
  /** Ingest's unsupported traffic (`Ingest.unsupported()`); none in a following API process. */
  unsupported?: () => readonly UnsupportedTraffic[];
  clock?: () => number;
}

/** The API shape of unsupported traffic, for the devices page and /api/health. */
export function unsupportedView(list: readonly UnsupportedTraffic[]): UnsupportedTrafficView[] {
  return list.map((u) => ({ topic: u.topic, ecosystem: u.ecosystem, hint: u.hint, messages: u.messages, first_seen: u.firstSeen, last_seen: u.lastSeen }));
}

export function deviceRoutes(deps: DeviceRouteDeps): Router {
  const r = Router();
  r.get('/sites/:site/devices', managersOnly, (req, res) => {
    const site = requireSite(deps.registry, String(req.params.site));
    const now = (deps.clock ?? Date.now)();
    const body: DevicesResponse = {
      site,
      at: now,
      devices: deps.registry.devices(site).map((d) => deviceStatus(d, deps.activity(site, d.device), deps.battery?.(site, d.device), now)),
      discovered: deps.registry.discovered().map((d) => ({ ecosystem: d.ecosystem, foreign_id: d.foreignId, first_seen: d.firstSeen, last_seen: d.lastSeen, messages: d.messages })),
      unsupported: unsupportedView(deps.unsupported?.() ?? []),
    };
    res.json(body);
  });
  return r;
}

export function deviceStatus(d: RegisteredDevice, act: DeviceActivityView | undefined, battery: { value: number } | undefined, now: number): DeviceStatus {
  const kind = DEVICE_KINDS[d.kind];
  const lastSeen = act && act.lastSeen > 0 ? act.lastSeen : null;
  const status: DeviceStatus['status'] =
    act?.status === 'offline' ? 'offline' : lastSeen === null ? 'never_seen' : now - lastSeen <= SILENT_CADENCES * kind.cadenceS * 1000 ? 'online' : 'silent';
  return {
    id: d.device,
    name: d.name ?? null,
    kind: d.kind,
    kind_label: kind.label,
    zone: d.zone ?? null,
    desk: d.desk ?? null,
    category: d.category ?? null,
    carrier: d.carrier ?? null,
    foreign: d.foreign ?? null,
    cadence_s: kind.cadenceS,
    status,
    availability: act?.status ?? null,
    last_seen: lastSeen,
    battery_pct: battery?.value ?? null,
    rejected: act?.rejected ?? 0,
    last_rejected: act?.lastRejected ?? null,
  };
}
