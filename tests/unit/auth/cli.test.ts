/** `deskprint users` and `deskprint devices` against a temporary data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDevices } from '../../../cli/commands/devices.ts';
import { runUsers, type CommandIo } from '../../../cli/commands/users.ts';
import { Accounts } from '../../../accounts/accounts.ts';

let dataDir: string;
let out: string[];
let err: string[];
let stdin = '';

const io = (): CommandIo => ({ out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => stdin, env: { DESKPRINT_DATA_DIR: dataDir } });
const withAccounts = <T>(fn: (a: Accounts) => T): T => {
  const a = new Accounts({ file: path.join(dataDir, 'accounts.db') });
  try {
    return fn(a);
  } finally {
    a.close();
  }
};
const printed = (prefix: string) => out.find((l) => l.startsWith(prefix))?.slice(prefix.length);

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-cli-'));
  out = [];
  err = [];
  stdin = '';
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('deskprint users', () => {
  it('adds a member user with a generated password printed once, which then verifies', async () => {
    expect(await runUsers(['add', 'amara', '--role', 'member', '--site', 'demo', '--member', 'm01'], io())).toBe(0);
    const password = printed('password (shown once): ')!;
    expect(password).toMatch(/^[\w-]{16}$/);
    const user = await withAccounts((a) => a.verifyPassword('amara', password));
    expect(user).toMatchObject({ role: 'member', sites: ['demo'], member: 'm01' });
    expect(withAccounts((a) => a.auditLog({ action: 'user.add' }))[0]).toMatchObject({ actor: 'cli', target: 'amara' });
  });

  it('takes a password from stdin and refuses unknown sites, members and roles', async () => {
    stdin = 'from stdin password\n';
    expect(await runUsers(['add', 'mo', '--role', 'manager', '--site', 'demo', '--password-stdin'], io())).toBe(0);
    expect(printed('password (shown once): ')).toBeUndefined();
    expect(await withAccounts((a) => a.verifyPassword('mo', 'from stdin password'))).not.toBeNull();
    expect(await runUsers(['add', 'x', '--role', 'manager', '--site', 'atlantis'], io())).toBe(2);
    expect(await runUsers(['add', 'x', '--role', 'member', '--site', 'demo', '--member', 'm99'], io())).toBe(2);
    expect(await runUsers(['add', 'x', '--role', 'owner', '--site', 'demo'], io())).toBe(2);
    expect(err.join('\n')).toMatch(/no site "atlantis"[\s\S]*no member "m99"[\s\S]*--role must be one of/);
    expect(await runUsers(['add', 'mo', '--role', 'manager', '--site', 'demo'], io())).toBe(1);
  });

  it('issues and revokes API tokens, and changes passwords', async () => {
    await runUsers(['add', 'fi', '--role', 'funder', '--site', 'demo'], io());
    out = [];
    expect(await runUsers(['token', 'fi', '--label', 'reports'], io())).toBe(0);
    const token = out[1]!;
    const id = /^token ([0-9a-f]+) /.exec(out[0]!)![1]!;
    expect(withAccounts((a) => a.tokenUser(token)?.user.name)).toBe('fi');
    expect(await runUsers(['token', '--revoke', id], io())).toBe(0);
    expect(withAccounts((a) => a.tokenUser(token))).toBeUndefined();
    out = [];
    expect(await runUsers(['passwd', 'fi'], io())).toBe(0);
    expect(await withAccounts((a) => a.verifyPassword('fi', printed('password (shown once): ')!))).not.toBeNull();
  });
});

describe('deskprint devices', () => {
  it('registers a new device with its credential; the secret is printed once and stored hashed', async () => {
    expect(await runDevices(['add', '--site', 'demo', '--kind', 'desk_occupancy', '--desk', 'n01', '--id', 'occ-extra'], io())).toBe(0);
    expect(printed('MQTT username: ')).toBe('occ-extra');
    const secret = printed('MQTT password (shown once): ')!;
    expect(printed('may publish to: ')).toBe('deskprint/demo/occ-extra/telemetry, deskprint/demo/occ-extra/status');
    const c = await withAccounts((a) => a.verifyCredential('occ-extra', secret));
    expect(c).toMatchObject({ type: 'device', site: 'demo', registration: { kind: 'desk_occupancy', desk: 'n01' } });
  });

  it('refuses a device that does not fit the site', async () => {
    expect(await runDevices(['add', '--site', 'demo', '--kind', 'desk_occupancy', '--desk', 'nowhere'], io())).toBe(2);
    expect(err.join('\n')).toMatch(/unknown desk "nowhere"/);
    expect(await runDevices(['add', '--site', 'demo', '--kind', 'toaster'], io())).toBe(2);
    expect(await runDevices(['add', '--site', 'demo', '--device', 'no-such-device'], io())).toBe(2);
    expect(await runDevices(['add', '--site', 'demo', '--bridge', 'z2m', '--scope', '#'], io())).toBe(2);
  });

  it('creates a site gateway credential confined to its site’s gateway prefix', async () => {
    expect(await runDevices(['add', '--site', 'demo', '--gateway', 'demo-gw'], io())).toBe(0);
    expect(printed('may publish to: ')).toBe('deskprint/demo/_gw/#');
    const c = await withAccounts((a) => a.verifyCredential('demo-gw', printed('MQTT password (shown once): ')!));
    expect(c).toMatchObject({ type: 'gateway', site: 'demo' });
    expect(await runDevices(['add', '--gateway', 'gw-nowhere'], io())).toBe(2);
  });

  it('rotates and revokes credentials', async () => {
    await runDevices(['add', '--site', 'demo', '--bridge', 'z2m', '--scope', 'zigbee2mqtt/#'], io());
    const first = printed('MQTT password (shown once): ')!;
    out = [];
    expect(await runDevices(['rotate', 'z2m'], io())).toBe(0);
    const second = printed('MQTT password (shown once): ')!;
    expect(await withAccounts((a) => a.verifyCredential('z2m', first))).toBeNull();
    expect(await withAccounts((a) => a.verifyCredential('z2m', second))).not.toBeNull();
    expect(await runDevices(['revoke', 'z2m'], io())).toBe(0);
    expect(await withAccounts((a) => a.verifyCredential('z2m', second))).toBeNull();
    expect(await runDevices(['revoke', 'z2m'], io())).toBe(1);
    expect(withAccounts((a) => a.auditLog().map((e) => e.action))).toEqual(['device.revoke', 'device.rotate', 'device.add']);
  });
});
