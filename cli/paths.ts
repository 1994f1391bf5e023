/**
 * Where deskprint is installed, its version, and its site files: small enough for every
 * command to import without loading the server (cli/start.ts pulls in everything).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSiteYaml, type SiteFile } from '../devices/site.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Parses site files named relative to the installation; throws SiteFileError listing every problem. */
export function loadSiteFiles(files: readonly string[]): SiteFile[] {
  return files.map((f) => {
    const file = path.resolve(ROOT, f);
    const site = parseSiteYaml(readFileSync(file, 'utf8'), f);
    // A degree-day CSV is named relative to its site file.
    if (site.degree_days?.csv !== undefined) site.degree_days.csv = path.resolve(path.dirname(file), site.degree_days.csv);
    return site;
  });
}
