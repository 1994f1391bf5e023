/**
 * Golden fixtures: `devices/<ecosystem>/fixtures/<case>/` holds `topic.txt`, the payload as
 * `payload.json` or `payload.txt` (raw bytes, for plain-text and deliberately broken payloads),
 * optionally `received_at.txt` (epoch ms), and either `expected.json` (the Decoded result) or
 * `expected-error.json` (the DecodeFailure without `ok`). A new case is new files, not new code.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DecodeResult } from '../../../devices/adapter.ts';

export const DEVICES_DIR = fileURLToPath(new URL('../../../devices/', import.meta.url));

/** 2026-11-21T09:00:00Z: the receive time of every fixture without a received_at.txt. */
export const FIXTURE_RECEIVED_AT = 1_795_251_600_000;

export interface AdapterFixture {
  ecosystem: string;
  name: string;
  dir: string;
  topic: string;
  payload: Uint8Array;
  receivedAt: number;
  /** What decode must return. */
  expected: DecodeResult;
}

/** Ecosystem folders: every folder under devices/ that has an adapter.ts. */
export function ecosystemFolders(): string[] {
  return readdirSync(DEVICES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(DEVICES_DIR, e.name, 'adapter.ts')))
    .map((e) => e.name)
    .sort();
}

export function loadFixtures(ecosystem?: string): AdapterFixture[] {
  const fixtures: AdapterFixture[] = [];
  for (const eco of ecosystem ? [ecosystem] : ecosystemFolders()) {
    const root = join(DEVICES_DIR, eco, 'fixtures');
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      fixtures.push(loadFixture(eco, join(root, entry.name), entry.name));
    }
  }
  return fixtures;
}

function loadFixture(ecosystem: string, dir: string, name: string): AdapterFixture {
  const file = (f: string) => join(dir, f);
  const topic = readFileSync(file('topic.txt'), 'utf8').replace(/\r?\n$/, '');
  const payloadFile = ['payload.json', 'payload.txt'].find((f) => existsSync(file(f)));
  if (!payloadFile) throw new Error(`${dir}: no payload.json or payload.txt`);
  const payload = new Uint8Array(readFileSync(file(payloadFile)));
  const receivedAt = existsSync(file('received_at.txt')) ? Number(readFileSync(file('received_at.txt'), 'utf8').trim()) : FIXTURE_RECEIVED_AT;
  let expected: DecodeResult;
  if (existsSync(file('expected.json'))) {
    expected = JSON.parse(readFileSync(file('expected.json'), 'utf8')) as DecodeResult;
  } else if (existsSync(file('expected-error.json'))) {
    expected = { ok: false, ...(JSON.parse(readFileSync(file('expected-error.json'), 'utf8')) as object) } as DecodeResult;
  } else {
    throw new Error(`${dir}: no expected.json or expected-error.json`);
  }
  return { ecosystem, name, dir, topic, payload, receivedAt, expected };
}
