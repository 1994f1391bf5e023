/**
 * Reads a running deskprint's SQLite time series straight from its file (better-sqlite3,
 * read-only), not through deskprint: what an integration test checks is what is on disk.
 */
import Database from 'better-sqlite3';
import path from 'node:path';

export interface StoredPoint {
  measurement: string;
  site: string;
  device: string;
  field: string;
  ts: number;
  value: number;
}

/** Every stored point value of `<dataDir>/timeseries.db`, with its series' site and device tags. */
export function readStoredPoints(dataDir: string): StoredPoint[] {
  const db = new Database(path.join(dataDir, 'timeseries.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT s.measurement AS measurement, s.tags AS tags, f.name AS field, p.ts AS ts, p.value AS value FROM points p JOIN series s ON s.id = p.series JOIN fields f ON f.id = p.field')
      .all() as { measurement: string; tags: string; field: string; ts: number; value: number }[];
    return rows.map((r) => {
      const tags = JSON.parse(r.tags) as Record<string, string>;
      return { measurement: r.measurement, site: tags.site ?? '', device: tags.device ?? '', field: r.field, ts: r.ts, value: r.value };
    });
  } finally {
    db.close();
  }
}
