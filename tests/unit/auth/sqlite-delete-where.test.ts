/**
 * Deletes on the SQLite store, which member erasure (`deleteWhere`) and presence retention
 * (`deleteBefore`) rely on: inline on a `:memory:` store, on the writer thread for a file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../store/sqlite.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const p = (member: string, ts: number, site = 'demo') => ({ measurement: 'checkins', tags: { site, member, device: 'badge' }, fields: { check_in: 1 }, ts });

describe.each([
  ['in memory', () => ':memory:'],
  ['in a file, on the writer thread', () => path.join(dirs[dirs.push(mkdtempSync(path.join(os.tmpdir(), 'deskprint-delete-'))) - 1]!, 'timeseries.db')],
])('SqliteStore deletes %s', (_name, file) => {
  it('deleteWhere deletes every point of matching series, at any time, and nothing else', async () => {
    const store = new SqliteStore({ file: file() });
    await store.init();
    await store.write([p('m01', 1_000), p('m01', 9e12), p('m02', 1_000), p('m01', 1_000, 'other'), { ...p('m01', 1_000), measurement: 'footprint_session' }]);
    await store.deleteWhere('checkins', { site: 'demo', member: 'm01' });
    const left = await store.queryRaw({ measurement: 'checkins', from: 0, to: 1e13 });
    expect(left.map((x) => `${x.tags.site}/${x.tags.member}`).sort()).toEqual(['demo/m02', 'other/m01']);
    expect(await store.queryRaw({ measurement: 'footprint_session', from: 0, to: 1e13 })).toHaveLength(1);
    await store.close();
  });

  it('deleteBefore keeps what is at or after the cutoff, and a write made after the delete stays', async () => {
    const store = new SqliteStore({ file: file() });
    await store.init();
    await store.write([p('m01', 1_000), p('m01', 2_000), p('m02', 3_000)]);
    await Promise.all([store.deleteBefore('checkins', 2_000), store.write([p('m03', 500)])]);
    const left = await store.queryRaw({ measurement: 'checkins', from: 0, to: 1e13 });
    expect(left.map((x) => `${x.tags.member}@${x.ts}`)).toEqual(['m03@500', 'm01@2000', 'm02@3000']);
    await store.close();
  });

  it('an erasure also takes what a write made just before it carried, even for a series that write creates', async () => {
    const store = new SqliteStore({ file: file() });
    await store.init();
    await store.write([p('m01', 1_000)]);
    // Not awaited: a badge's check-in of a new member is still on its way to the file when
    // the member asks to be erased.
    const writing = store.write([p('m09', 1_000), p('m01', 2_000)]);
    await store.deleteWhere('checkins', { member: ['m01', 'm09'] });
    await writing;
    expect(await store.queryRaw({ measurement: 'checkins', from: 0, to: 1e13 })).toEqual([]);
    await store.close();
  });
});
