/**
 * The footprint part (METHODOLOGY.md §1–5): public surface for ingest, api and cli.
 * docs/footprint.md describes the series it writes.
 */
export { SiteFootprintEngine, feed, type EngineOptions, type MonthConservation } from './engine.ts';
export { LocalClock } from './clock.ts';
export { allocateInterval, type CarrierBalance, type MeterEnergy, type MeterRole } from './allocate.ts';
export { baselineDay, baselineAccrual, baselineDayEnergy, factorSetFor, SCENARIOS, type Scenario } from './emissions.ts';
export { AUTO_CHECKOUT_MS, PresenceTracker, type IntervalPresence, type Session } from './presence.ts';
export * from './events.ts';
export { SiteFootprintStream, DEFAULT_LATENESS_MS } from './stream.ts';
export { recompute, readEvents, type RecomputeOptions, type RecomputeResult } from './recompute.ts';
export * from './read.ts';
export * from './schema.ts';
