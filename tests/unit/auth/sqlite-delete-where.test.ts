/** `deleteWhere` on the SQLite store, which member erasure relies on. */
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../store/sqlite.ts';

describe('SqliteStore.deleteWhere', () => {
  it('deletes every point of matching series, at any time, and nothing else', async () => {
    const store = new SqliteStore({ file: ':memory:' });
    await store.init();
    const p = (member: string, ts: number, site = 'demo') => ({ measurement: 'checkins', tags: { site, member, device: 'badge' }, fields: { check_in: 1 }, ts });
    await store.write([p('m01', 1_000), p('m01', 9e12), p('m02', 1_000), p('m01', 1_000, 'other'), { ...p('m01', 1_000), measurement: 'footprint_session' }]);
    await store.deleteWhere('checkins', { site: 'demo', member: 'm01' });
    const left = await store.queryRaw({ measurement: 'checkins', from: 0, to: 1e13 });
    expect(left.map((x) => `${x.tags.site}/${x.tags.member}`).sort()).toEqual(['demo/m02', 'other/m01']);
    expect(await store.queryRaw({ measurement: 'footprint_session', from: 0, to: 1e13 })).toHaveLength(1);
    await store.close();
  });
});
