/**
 * Every golden fixture under devices/<ecosystem>/fixtures/ decodes to exactly its expected
 * result: readings in canonical units with the right timestamps, or the documented reject
 * reason. A new case is new files (fixture-loader.ts describes the layout).
 */
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../../devices/index.ts';
import { ecosystemFolders, loadFixtures } from './fixture-loader.ts';

const fixtures = loadFixtures();

describe('adapter golden fixtures', () => {
  it('finds fixtures for every ecosystem folder, including at least one rejected payload each', () => {
    for (const eco of ecosystemFolders()) {
      const own = fixtures.filter((f) => f.ecosystem === eco);
      expect(own.length, `${eco} has fixtures`).toBeGreaterThanOrEqual(5);
      expect(own.some((f) => !f.expected.ok), `${eco} has an error case`).toBe(true);
    }
  });

  it.each(fixtures.map((f) => [`${f.ecosystem}/${f.name}`, f] as const))('%s', (_label, fixture) => {
    const adapter = ADAPTERS.find((a) => a.name === fixture.ecosystem);
    expect(adapter, `adapter "${fixture.ecosystem}" is registered`).toBeDefined();
    expect(adapter!.matches(fixture.topic)).toBe(true);
    const result = adapter!.decode(fixture.topic, fixture.payload, { receivedAt: fixture.receivedAt });
    expect(result).toEqual(fixture.expected);
  });
});
