/**
 * Allocation of one interval's metered energy (METHODOLOGY §2, M2, M3 and the residual).
 * A pure function: meter energies and presence in, per-account kWh and the pool out.
 * The monthly pool (M4) is shared out by the engine, which sees the whole month.
 */
import type { Carrier } from '../devices/kinds.ts';
import type { IntervalPresence } from './presence.ts';

/** How a meter's energy is allocated, from its scope and category (§1 "Meters"). */
export type MeterRole = 'desk' | 'zone' | 'site' | 'main';

export interface MeterEnergy {
  device: string;
  role: MeterRole;
  carrier: Carrier;
  desk?: string;
  zone?: string;
  /** Energy in the interval from readings, kWh. */
  kwh: number;
}

export interface CarrierBalance {
  carrier: Carrier;
  /** §2 M6: main meter, or the sub-meters when they exceed it, or the sub-meters. */
  metered: number;
  /** The main meter's energy; null when the site has no main meter for this carrier. */
  main: number | null;
  /** Σ sub-meters (every meter of the carrier that is not `main`). */
  sub: number;
  /** Main minus sub-meters, after clamping; goes to the pool. */
  residual: number;
  /** The negative residual clamped to 0 (flagged in the data-quality block). */
  clamped: number;
  /** Standby + empty-interval energy + residual: to the monthly pool (M4). */
  pool: number;
  /** M2 per account. */
  direct: Map<string, number>;
  /** M3 per account. */
  shared: Map<string, number>;
}

export function allocateInterval(
  meters: readonly MeterEnergy[],
  presence: IntervalPresence,
  carriers: readonly Carrier[],
  mainCarriers: ReadonlySet<Carrier>,
): Map<Carrier, CarrierBalance> {
  const out = new Map<Carrier, CarrierBalance>();
  for (const c of carriers) {
    out.set(c, { carrier: c, metered: 0, main: mainCarriers.has(c) ? 0 : null, sub: 0, residual: 0, clamped: 0, pool: 0, direct: new Map(), shared: new Map() });
  }
  for (const m of meters) {
    const b = out.get(m.carrier);
    if (!b || m.kwh === 0) continue;
    switch (m.role) {
      case 'main':
        b.main = (b.main ?? 0) + m.kwh;
        break;
      case 'desk':
        b.sub += m.kwh;
        allocateDirect(b, m.kwh, m.desk === undefined ? undefined : presence.desk.get(m.desk));
        break;
      case 'zone':
        b.sub += m.kwh;
        allocateShared(b, m.kwh, m.zone === undefined ? undefined : presence.zone.get(m.zone), m.zone === undefined ? 0 : presence.zoneN.get(m.zone) ?? 0);
        break;
      case 'site':
        b.sub += m.kwh;
        allocateShared(b, m.kwh, presence.site, presence.siteN);
        break;
    }
  }
  // Residual: main minus every sub-meter of the carrier; a negative one is clamped (§2).
  for (const b of out.values()) {
    if (b.main === null) {
      b.metered = b.sub;
      continue;
    }
    const residual = b.main - b.sub;
    if (residual >= 0) {
      b.residual = residual;
      b.pool += residual;
      b.metered = b.main;
    } else {
      b.clamped = -residual;
      b.metered = b.sub;
    }
  }
  return out;
}

/**
 * M2: the desk's energy goes to the people at the desk in proportion to p(k,t); the rest,
 * E·(1 − Σp), is standby for the pool. Should two people be checked in at one desk for the
 * whole interval (Σp > 1), the energy is split by p/Σp and there is no standby, so no
 * allocation is ever negative.
 */
function allocateDirect(b: CarrierBalance, kwh: number, people: ReadonlyMap<string, number> | undefined): void {
  if (!people || people.size === 0) {
    b.pool += kwh;
    return;
  }
  let sumP = 0;
  for (const p of people.values()) sumP += p;
  const scale = sumP > 1 ? 1 / sumP : 1;
  let given = 0;
  for (const [account, p] of people) {
    const e = kwh * p * scale;
    given += e;
    b.direct.set(account, (b.direct.get(account) ?? 0) + e);
  }
  b.pool += Math.max(0, kwh - given);
}

/** M3: E·p(k,t)/N when N > 0; with nobody present the energy goes to the pool. */
function allocateShared(b: CarrierBalance, kwh: number, people: ReadonlyMap<string, number> | undefined, n: number): void {
  if (!people || n <= 0) {
    b.pool += kwh;
    return;
  }
  for (const [account, p] of people) b.shared.set(account, (b.shared.get(account) ?? 0) + (kwh * p) / n);
}
