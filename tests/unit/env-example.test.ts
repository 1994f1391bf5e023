import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema, envName } from '../../cli/config.ts';

const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
const documented = new Set([...example.matchAll(/^#? ?(DESKPRINT_[A-Z0-9_]+)=/gm)].map((m) => m[1]));

describe('.env.example', () => {
  it('documents every configuration key with its environment variable', () => {
    const keys = Object.keys(configSchema.shape).map(envName);
    expect(keys.filter((k) => !documented.has(k))).toEqual([]);
  });

  it('documents the report delivery settings read by the report scheduler', () => {
    for (const k of ['DESKPRINT_SMTP_URL', 'DESKPRINT_SMTP_FROM', 'DESKPRINT_REPORT_RECIPIENTS', 'DESKPRINT_REPORT_SCHEDULE', 'DESKPRINT_REPORT_BACKFILL']) {
      expect(documented.has(k), k).toBe(true);
    }
  });
});
