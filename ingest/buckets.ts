/**
 * Sites to buckets: the unit several ingest processes share out (docs/production.md,
 * "Several ingest processes: buckets and leases"). A site maps to one of a fixed number of
 * buckets; each bucket is owned by one process at a time (ingest/ownership.ts), so all of a
 * site's messages reach one footprint engine in order.
 *
 * The hash must give the same bucket on every host, Node version and restart, or two
 * processes would disagree on who owns a site. FNV-1a 32-bit over the id's UTF-8 bytes is
 * defined entirely by its specification (offset basis 2166136261, prime 16777619; IETF
 * draft-eastlake-fnv, http://www.isthe.com/chongo/tech/comp/fnv/) and computed here with
 * integer arithmetic only (`Math.imul`, `>>> 0`), so it depends on no engine's string
 * hashing, no locale and no seed. `tests/unit/ingest/buckets.test.ts` pins a table of
 * values: a changed hash fails there before it can move a site in production.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/** FNV-1a 32-bit of the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

function checkBuckets(buckets: number): void {
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`bucket count must be a whole number of at least 1, got ${buckets}`);
}

/** The bucket (0 … buckets-1) that owns site `siteId`. */
export function bucketOf(siteId: string, buckets: number): number {
  checkBuckets(buckets);
  return fnv1a32(siteId) % buckets;
}

/** The sites of `siteIds` that fall into `bucket`, in their given order. */
export function sitesOfBucket(siteIds: Iterable<string>, bucket: number, buckets: number): string[] {
  checkBuckets(buckets);
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= buckets) throw new RangeError(`bucket must be 0…${buckets - 1}, got ${bucket}`);
  return [...siteIds].filter((id) => bucketOf(id, buckets) === bucket);
}
