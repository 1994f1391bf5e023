/**
 * Types shared by ingest stages and the processors that hang off the pipeline
 * (live state, footprint engine, alerts). A processor is a narrow stage with explicit
 * state: it receives validated, registry-enriched readings and check-ins, and returns
 * points to store from `tick`.
 */
import type { Point } from '../store/types.ts';
import type { EnrichedCheckin, EnrichedReading } from '../footprint/events.ts';

// The enriched reading, its raw store layout and codec are the footprint's input and live
// with the codec (footprint/events.ts); ingest produces them.
export type { DeviceContext, EnrichedCheckin, EnrichedReading } from '../footprint/events.ts';
export { MEASUREMENT_CHECKINS, MEASUREMENT_READINGS } from '../footprint/events.ts';

export interface Processor {
  readonly name: string;
  onReadings?(batch: readonly EnrichedReading[]): void;
  onCheckins?(batch: readonly EnrichedCheckin[]): void;
  /** Called about once a second with the wall-clock time; returns points to store. */
  tick?(now: number): Point[] | Promise<Point[]>;
  close?(): Promise<void>;
}
