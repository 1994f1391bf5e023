/**
 * Dual Scope 2 reporting (METHODOLOGY §9): the location-based figure (the grid-average factor
 * sets of §3, as deskprint has always reported) and the market-based figure, both from the
 * same metered kWh, as the GHG Protocol Scope 2 Guidance (2015, ch. 4 and 6) and ESRS E1-6
 * (paragraph 48, gross Scope 2 location- and market-based) require. Gas burnt on site is
 * Scope 1 and has no market-based variant.
 *
 * Market-based factor of a carrier on a local day, by the Guidance's hierarchy (Table 6.3):
 * certificates (energy attribute certificates, PPAs) for the share they cover; for the rest,
 * the supplier's specific emission rate, else the residual mix of the year, else the grid
 * average (the location-based factor), which is then flagged as a fallback.
 */
import type { Carrier } from '../devices/kinds.ts';
import type { SiteFile } from '../devices/site.ts';
import { periodOn } from './cost.ts';
import { factorOf, factorSetFor } from './emissions.ts';

/** GHG Protocol scope of each carrier: on-site combustion is Scope 1, purchased electricity and heat Scope 2. */
export const SCOPE_OF: Record<Carrier, 1 | 2> = { electricity: 2, gas: 1, heat: 2 };

export type MarketBasis = 'certificates' | 'supplier' | 'residual_mix' | 'grid_average';

/** How the report and the views name each step of the hierarchy. */
export const MARKET_BASIS_LABEL: Record<MarketBasis, string> = {
  certificates: 'certificates', supplier: 'supplier-specific rate', residual_mix: 'residual mix', grid_average: 'grid average (no residual mix)',
};

export interface MarketFactorPart {
  basis: MarketBasis;
  /** Share of the day's consumption priced by this part. */
  share: number;
  kgco2e_per_kwh: number;
  source: string;
  estimate: boolean;
}

export interface MarketFactor {
  /** Σ share · factor over the parts. */
  kgco2e_per_kwh: number;
  parts: MarketFactorPart[];
}

/** The market-based factor of a Scope 2 carrier on local date `dayKey` of calendar year `year` (§9). */
export function marketFactor(site: Pick<SiteFile, 'market_based' | 'factors'>, carrier: Carrier, dayKey: string, year: number): MarketFactor {
  const inputs = carrier === 'gas' ? undefined : site.market_based[carrier];
  const period = inputs ? periodOn(inputs.periods, dayKey) : null;
  const parts: MarketFactorPart[] = [];
  const cert = period?.certificates;
  if (cert && cert.share > 0) parts.push({ basis: 'certificates', share: cert.share, kgco2e_per_kwh: cert.kgco2e_per_kwh, source: `${cert.name}; ${cert.source}`, estimate: false });
  const rest = 1 - (cert?.share ?? 0);
  if (rest > 0) parts.push({ share: rest, ...restFactor(site, inputs, period?.supplier, carrier, year) });
  return { kgco2e_per_kwh: parts.reduce((a, p) => a + p.share * p.kgco2e_per_kwh, 0), parts };
}

function restFactor(
  site: Pick<SiteFile, 'factors'>, inputs: SiteFile['market_based']['electricity'], supplier: { kgco2e_per_kwh: number; source: string } | undefined, carrier: Carrier, year: number,
): Omit<MarketFactorPart, 'share'> {
  if (supplier) return { basis: 'supplier', kgco2e_per_kwh: supplier.kgco2e_per_kwh, source: supplier.source, estimate: false };
  // The residual mix of the data's year, else the latest earlier one (published a year or more late).
  let mix: NonNullable<typeof inputs>['residual_mix'][number] | undefined;
  for (const m of inputs?.residual_mix ?? []) if (m.year <= year && (!mix || m.year > mix.year)) mix = m;
  if (mix) return { basis: 'residual_mix', kgco2e_per_kwh: mix.kgco2e_per_kwh, source: `${mix.source}${mix.year < year ? ` (${mix.year} values for ${year})` : ''}`, estimate: mix.estimate || mix.year < year };
  const set = factorSetFor(site.factors, year);
  return { basis: 'grid_average', kgco2e_per_kwh: factorOf(set, carrier), source: `no residual mix in the site file: grid average ${set.name}`, estimate: true };
}

/** One local day's energy and location-based carbon per carrier (a report's daily row). */
export interface Scope2Day {
  key: string;
  year: number;
  kwh: Partial<Record<Carrier, number>>;
  /** Location-based kgCO2e per carrier (§3 factors). */
  kgco2e: Partial<Record<Carrier, number>>;
}

export interface Scope2CarrierLine {
  carrier: Carrier;
  scope: 1 | 2;
  kwh: number;
  location_kgco2e: number;
  /** Scope 2 only; null for Scope 1 (no market-based variant). */
  market_kgco2e: number | null;
  /** kWh and kgCO2e per market basis, with its sources (Scope 2 only). */
  bases: { basis: MarketBasis; label: string; kwh: number; kgco2e: number; sources: string[]; estimate: boolean }[];
}

export interface Scope2Summary {
  scope1_kgco2e: number;
  scope2_location_kgco2e: number;
  scope2_market_kgco2e: number;
  total_location_kgco2e: number;
  total_market_kgco2e: number;
  by_carrier: Scope2CarrierLine[];
  /** Any market-based part from an estimate or a grid-average fallback. */
  market_estimate: boolean;
  /** Per day, in the order given. */
  daily: { key: string; scope2_location_kgco2e: number; scope2_market_kgco2e: number }[];
}

/** §9 over a set of local days: Scope 1, Scope 2 location- and market-based, per carrier and per day. */
export function scope2Summary(site: Pick<SiteFile, 'market_based' | 'factors'>, carriers: readonly Carrier[], days: readonly Scope2Day[]): Scope2Summary {
  const lines = new Map<Carrier, Scope2CarrierLine>(carriers.map((c) => [c, { carrier: c, scope: SCOPE_OF[c], kwh: 0, location_kgco2e: 0, market_kgco2e: SCOPE_OF[c] === 2 ? 0 : null, bases: [] }]));
  const daily: Scope2Summary['daily'] = [];
  for (const d of days) {
    let loc = 0, mkt = 0;
    for (const c of carriers) {
      const line = lines.get(c)!;
      const kwh = d.kwh[c] ?? 0;
      const kg = d.kgco2e[c] ?? 0;
      line.kwh += kwh;
      line.location_kgco2e += kg;
      if (line.scope !== 2) continue;
      const f = marketFactor(site, c, d.key, d.year);
      const m = kwh * f.kgco2e_per_kwh;
      line.market_kgco2e! += m;
      loc += kg;
      mkt += m;
      for (const p of f.parts) {
        let b = line.bases.find((x) => x.basis === p.basis);
        if (!b) line.bases.push((b = { basis: p.basis, label: MARKET_BASIS_LABEL[p.basis], kwh: 0, kgco2e: 0, sources: [], estimate: false }));
        b.kwh += kwh * p.share;
        b.kgco2e += kwh * p.share * p.kgco2e_per_kwh;
        if (!b.sources.includes(p.source)) b.sources.push(p.source);
        b.estimate ||= p.estimate;
      }
    }
    daily.push({ key: d.key, scope2_location_kgco2e: loc, scope2_market_kgco2e: mkt });
  }
  const all = [...lines.values()];
  const sum = (pick: (l: Scope2CarrierLine) => number) => all.reduce((a, l) => a + pick(l), 0);
  const scope1 = sum((l) => (l.scope === 1 ? l.location_kgco2e : 0));
  const s2loc = sum((l) => (l.scope === 2 ? l.location_kgco2e : 0));
  const s2mkt = sum((l) => l.market_kgco2e ?? 0);
  return {
    scope1_kgco2e: scope1, scope2_location_kgco2e: s2loc, scope2_market_kgco2e: s2mkt,
    total_location_kgco2e: scope1 + s2loc, total_market_kgco2e: scope1 + s2mkt,
    by_carrier: all, market_estimate: all.some((l) => l.bases.some((b) => b.estimate && b.kwh > 0)), daily,
  };
}
