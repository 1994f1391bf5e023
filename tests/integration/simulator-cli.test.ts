import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseSpeed, runSimulate } from '../../cli/commands/simulate.ts';

const repo = (rel: string) => new URL(`../../${rel}`, import.meta.url).pathname;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deskprint-sim-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command in process, capturing what it prints. */
async function simulate(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    const code = await runSimulate(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('deskprint simulate', () => {
  it('rejects bad arguments with exit code 2, listing every problem as flag: message', async () => {
    const r = await simulate(['--scenario', repo('sites/scenarios/demo.yaml'), '--speed', 'fast', '--seed', 'x', '--from', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--speed: expected max, 1x or Nx, got "fast"');
    expect(r.err).toContain('--seed: expected an integer, got "x"');
    expect(r.err).toContain('--from: expected an ISO 8601 date or date-time, got "yesterday"');
    const future = await simulate(['--scenario', repo('sites/scenarios/demo.yaml'), '--speed', 'max', '--from', '2099-01-01', '--to', '2099-01-02', '--out', join(dir, 'x')]);
    expect(future.code).toBe(2);
    expect(future.err).toMatch(/--to: a run at max speed publishes past timestamps/);
    const load = await simulate(['--load', '--rate', '0']);
    expect(load.code).toBe(2);
    expect(load.err).toContain('--rate: expected a positive number of messages per second, got "0"');
    expect(load.err).toContain('--devices: required with --load');
  });

  it('names scenario problems by file and path', async () => {
    const r = await simulate(['--scenario', repo('sites/scenarios/nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope\.yaml: \(root\): cannot read file/);
    const f = await simulate(['--scenario', repo('sites/scenarios/demo.yaml'), '--fault', 'duplicate=2', '--fault', 'gremlins=1', '--fault', 'late']);
    expect(f.code).toBe(2);
    expect(f.err).toContain('--fault: faults.duplicate: Too big');
    expect(f.err).toContain('--fault: faults.gremlins: unknown fault setting');
    expect(f.err).toContain('--fault: late: expected KEY=VALUE');
  });

  it('switches faults on from the command line', async () => {
    const out = join(dir, 'dup.txt');
    const r = await simulate(['--scenario', repo('sites/scenarios/demo.yaml'), '--from', '2026-01-05T09:00:00Z', '--to', '2026-01-05T10:00:00Z', '--batch', '0', '--quiet', '--fault', 'duplicate=0.2', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/faults: duplicate \d+/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const repeats = lines.filter((l, i) => i > 0 && l === lines[i - 1]).length;
    expect(repeats / lines.length).toBeGreaterThan(0.1);
  });

  it('writes the same stream twice for the same seed, and a ground truth file', async () => {
    const args = (out: string) => ['--scenario', repo('sites/scenarios/faulty.yaml'), '--from', '2026-01-05T08:00:00Z', '--to', '2026-01-05T10:00:00Z', '--speed', 'max', '--seed', '5', '--batch', '0', '--quiet', '--out', out];
    const a = await simulate([...args(join(dir, 'a.txt')), '--truth', join(dir, 'truth.ndjson')]);
    const b = await simulate(args(join(dir, 'b.txt')));
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const streamA = readFileSync(join(dir, 'a.txt'), 'utf8');
    expect(streamA.split('\n').length).toBeGreaterThan(1000);
    expect(streamA).toBe(readFileSync(join(dir, 'b.txt'), 'utf8'));
    expect(a.err).toMatch(/faults: .*duplicate \d+/);
    const truth = readFileSync(join(dir, 'truth.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(truth[0]).toMatchObject({ type: 'meta', site: 'demo', seed: 5, interval_min: 30, from: '2026-01-05T08:00:00.000Z', to: '2026-01-05T10:00:00.000Z' });
    expect(new Set(truth.map((l) => l.type))).toEqual(new Set(['meta', 'device', 'energy', 'session', 'member_day', 'checkin', 'dropout']));
  });

  it('runs the load generator against a broker and prints the achieved rate as JSON', async () => {
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle as (s: net.Socket) => void);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const r = await simulate(['--load', '--rate', '500', '--devices', '20', '--mqtt', url, '--duration', '2', '--json']);
      expect(r.code).toBe(0);
      const result = JSON.parse(r.out) as { achievedRate: number; published: number; completed: number; connections: number };
      expect(result.connections).toBe(20);
      expect(Math.abs(result.achievedRate - 500) / 500).toBeLessThan(0.05);
      expect(result.completed).toBe(result.published);
    } finally {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('parses speeds as max, 1x or Nx', () => {
    expect(parseSpeed('max')).toBe('max');
    expect(parseSpeed('1x')).toBe(1);
    expect(parseSpeed('60x')).toBe(60);
    expect(parseSpeed('2.5')).toBe(2.5);
    expect(parseSpeed('0x')).toBeNull();
    expect(parseSpeed('fast')).toBeNull();
  });
});
