import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../api/errors.ts';
import { REJECT_REASON_KEYS } from '../../devices/rejections.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('documents every API error code with its HTTP status, and no unknown code', () => {
    const documented = [...doc.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(Object.entries(ERROR_CODES).map(([k, v]) => [k, v.status])));
  });

  it('documents every rejection reason, and no unknown reason', () => {
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| /gm)].map((m) => m[1]).sort();
    expect(documented).toEqual([...REJECT_REASON_KEYS].sort());
  });
});
