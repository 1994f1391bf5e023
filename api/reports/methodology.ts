/**
 * The methodology appendix (METHODOLOGY §6: "this methodology as an appendix"): the text of
 * docs/METHODOLOGY.md as shipped with this version, and its SHA-256 so a reader can tell
 * which revision a report followed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const METHODOLOGY_PATH = fileURLToPath(new URL('../../docs/METHODOLOGY.md', import.meta.url));

export interface MethodologyDocument {
  document: 'docs/METHODOLOGY.md';
  sha256: string;
  text: string;
}

let cached: MethodologyDocument | undefined;

export function methodologyDocument(): MethodologyDocument {
  if (!cached) {
    const text = readFileSync(METHODOLOGY_PATH, 'utf8');
    cached = { document: 'docs/METHODOLOGY.md', sha256: createHash('sha256').update(text).digest('hex'), text };
  }
  return cached;
}
