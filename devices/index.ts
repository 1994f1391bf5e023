/**
 * The one explicit index of device ecosystem adapters. A folder under devices/ with an
 * adapter.ts must be listed here (tests/unit/adapter-index.test.ts fails otherwise).
 */
import type { Adapter } from './adapter.ts';
import { nativeAdapter } from './native/adapter.ts';

export const ADAPTERS: readonly Adapter[] = [nativeAdapter];

/** The adapter that owns a topic, or undefined. Native first: it is the common case. */
export function adapterFor(topic: string): Adapter | undefined {
  return ADAPTERS.find((a) => a.matches(topic));
}

export * from './adapter.ts';
export * from './catalogue.ts';
export * from './kinds.ts';
export * from './topics.ts';
export * from './rejections.ts';
export * from './ids.ts';
