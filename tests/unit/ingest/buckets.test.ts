import { describe, expect, it } from 'vitest';
import { bucketOf, fnv1a32, sitesOfBucket } from '../../../ingest/buckets.ts';

describe('site buckets', () => {
  it('hashes with FNV-1a 32-bit: the published test vectors', () => {
    // From the FNV reference test suite (http://www.isthe.com/chongo/src/fnv/test_fnv.c, FNV1A_32).
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('puts sites in fixed buckets: a changed hash or encoding moves a site and fails here', () => {
    // Written once from this implementation; every process on every host must agree on it.
    const table: [site: string, buckets: number, bucket: number][] = [
      ['demo', 16, 6],
      ['demo', 64, 54],
      ['hub-lyon', 16, 5],
      ['hub-paris-11', 16, 15],
      // Non-ASCII ids hash their UTF-8 bytes, not UTF-16 code units.
      ['café-zürich', 16, 15],
      ['café-zürich', 64, 63],
      ['東京', 64, 47],
      ['a', 1, 0],
    ];
    expect(table.map(([site, n]) => [site, n, bucketOf(site, n)])).toEqual(table);
  });

  it('spreads many sites over the buckets evenly enough', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[bucketOf(`site-${i}`, 16)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(60);
    expect(Math.max(...counts)).toBeLessThan(140);
  });

  it('lists the sites of a bucket, each site in exactly one bucket', () => {
    const sites = Array.from({ length: 40 }, (_, i) => `hub-${i}`);
    const byBucket = Array.from({ length: 8 }, (_, b) => sitesOfBucket(sites, b, 8));
    expect(byBucket.flat().sort()).toEqual([...sites].sort());
    for (const [b, list] of byBucket.entries()) for (const s of list) expect(bucketOf(s, 8)).toBe(b);
  });

  it('refuses a bucket count or bucket out of range', () => {
    expect(() => bucketOf('demo', 0)).toThrow(/at least 1/);
    expect(() => bucketOf('demo', 2.5)).toThrow(/whole number/);
    expect(() => sitesOfBucket(['demo'], 16, 16)).toThrow(/0…15/);
  });
});
