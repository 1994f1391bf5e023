/**
 * The footprint engine (METHODOLOGY.md §1–5): public surface for ingest, api and cli.
 * docs/footprint.md describes the series it writes.
 */
export { SiteFootprintEngine, type EngineOptions, type MonthConservation } from './engine.ts';
export { LocalClock } from './clock.ts';
export { allocateInterval, type CarrierBalance, type MeterEnergy, type MeterRole } from './allocate.ts';
export { baselineDay, baselineAccrual, baselineDayEnergy, factorSetFor, SCENARIOS, type Scenario } from './emissions.ts';
export { AUTO_CHECKOUT_MS, PresenceTracker, type IntervalPresence, type Session } from './presence.ts';
export {
  createFootprintProcessor,
  SiteFootprintStream,
  compareEvents,
  DEFAULT_LATENESS_MS,
  type FootprintEvent,
  type FootprintProcessor,
  type FootprintProcessorOptions,
} from './stream.ts';
export { recompute, readEvents, readingToPoint, checkinToPoint, type RecomputeOptions, type RecomputeResult } from './recompute.ts';
export * from './schema.ts';
