/**
 * Types shared by ingest stages and the processors that hang off the pipeline
 * (live state, footprint engine, alerts). A processor is a narrow stage with explicit
 * state: it receives validated, registry-enriched readings and check-ins, and returns
 * points to store from `tick`.
 */
import type { Checkin, Reading } from '../devices/adapter.ts';
import type { Carrier, Category, DeviceKind } from '../devices/kinds.ts';
import type { Point } from '../store/types.ts';

/** Where a registered device sits: everything the registry knows, nothing from the payload. */
export interface DeviceContext {
  site: string;
  device: string;
  kind: DeviceKind;
  zone?: string;
  desk?: string;
  /** Energy category (explicit in the site file, or the kind's default). */
  category?: Category;
  carrier?: Carrier;
}

export interface EnrichedReading extends Reading, DeviceContext {}

export interface EnrichedCheckin extends Checkin {
  site: string;
  /** The badge reader or app that sent it. */
  device: string;
  /** The desk from the payload, else the badge reader's desk; absent for an entrance badge. */
  desk?: string;
  zone?: string;
}

export interface Processor {
  readonly name: string;
  onReadings?(batch: readonly EnrichedReading[]): void;
  onCheckins?(batch: readonly EnrichedCheckin[]): void;
  /** Called about once a second with the wall-clock time; returns points to store. */
  tick?(now: number): Point[] | Promise<Point[]>;
  close?(): Promise<void>;
}

/**
 * Raw data layout in the time-series store (docs/store-schema.md):
 * - measurement `readings`: tags site, device, kind, and zone, desk, category, carrier when
 *   the registry has them; one field per metric key (canonical units, booleans 1/0).
 * - measurement `checkins`: tags site, member, device, and desk/zone when known;
 *   field `check_in` = 1 for a check-in, 0 for a check-out.
 */
export const MEASUREMENT_READINGS = 'readings';
export const MEASUREMENT_CHECKINS = 'checkins';
