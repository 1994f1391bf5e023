/** Accounts store: users, lockout, sessions, tokens, broker credentials, audit, erasures. */
import { describe, expect, it } from 'vitest';
import { AccountError, Accounts, hashSecret, verifySecret } from '../../../accounts/accounts.ts';

function accounts(start = Date.UTC(2026, 0, 5, 9)) {
  let now = start;
  const a = new Accounts({ clock: () => now });
  return { a, advance: (ms: number) => (now += ms) };
}

describe('passwords and secrets', () => {
  it('stores scrypt hashes, never the secret, and verifies only the right one', async () => {
    const h = await hashSecret('correct horse battery');
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(h).not.toContain('correct horse');
    expect(await verifySecret('correct horse battery', h)).toBe(true);
    expect(await verifySecret('correct horse batterY', h)).toBe(false);
    expect(await verifySecret('x', 'plain-text')).toBe(false);
  });

  it('refuses short passwords and malformed users', async () => {
    const { a } = accounts();
    await expect(a.addUser({ name: 'ann', role: 'manager', sites: ['demo'], password: 'short' })).rejects.toThrow(AccountError);
    await expect(a.addUser({ name: 'ann', role: 'member', sites: ['demo'], password: 'long enough pw' })).rejects.toThrow(/member id/);
    await expect(a.addUser({ name: 'ann', role: 'funder', sites: ['demo'], member: 'm01', password: 'long enough pw' })).rejects.toThrow(/only member/);
    await expect(a.addUser({ name: 'Bad Name', role: 'funder', sites: ['demo'], password: 'long enough pw' })).rejects.toThrow(/valid username/);
    await expect(a.addUser({ name: 'ann', role: 'funder', sites: [], password: 'long enough pw' })).rejects.toThrow(/site/);
  });

  it('verifies a user password and changing it ends existing sessions', async () => {
    const { a } = accounts();
    await a.addUser({ name: 'Ann', role: 'member', sites: ['demo'], member: 'm01', password: 'first password' });
    expect(await a.verifyPassword('ann', 'first password')).toMatchObject({ name: 'ann', role: 'member', member: 'm01', sites: ['demo'] });
    expect(await a.verifyPassword('ann', 'wrong password')).toBeNull();
    expect(await a.verifyPassword('nobody', 'first password')).toBeNull();
    const s = a.createSession('ann', 60_000);
    expect(a.session(s.token)).toMatchObject({ user: { name: 'ann' }, csrf: s.csrf });
    await a.setPassword('ann', 'second password');
    expect(a.session(s.token)).toBeUndefined();
    expect(await a.verifyPassword('ann', 'first password')).toBeNull();
    expect(await a.verifyPassword('ann', 'second password')).not.toBeNull();
  });
});

describe('lockout', () => {
  it('locks a username after five failures in 15 minutes, for 15 minutes after the last', () => {
    const { a, advance } = accounts();
    for (let i = 0; i < 4; i++) {
      a.recordLoginFailure('ann', '10.0.0.1');
      advance(60_000);
    }
    expect(a.lockedUntil('ann')).toBeNull();
    a.recordLoginFailure('ann', '10.0.0.1');
    const until = a.lockedUntil('ann');
    expect(until).toBe(a.now() + 15 * 60_000);
    advance(15 * 60_000 - 1);
    expect(a.lockedUntil('ann')).not.toBeNull();
    advance(1);
    expect(a.lockedUntil('ann')).toBeNull();
  });

  it('does not lock for failures spread wider than the window', () => {
    const { a, advance } = accounts();
    for (let i = 0; i < 10; i++) {
      a.recordLoginFailure('ann', null);
      advance(4 * 60_000);
    }
    expect(a.lockedUntil('ann')).toBeNull();
  });
});

describe('sessions and tokens', () => {
  it('expires sessions at their expiry', async () => {
    const { a, advance } = accounts();
    await a.addUser({ name: 'mo', role: 'manager', sites: ['demo'], password: 'manager password' });
    const s = a.createSession('mo', 3_600_000);
    expect(a.session(s.token)).toMatchObject({ expiresAt: a.now() + 3_600_000 });
    advance(3_600_000);
    expect(a.session(s.token)).toBe('expired');
    expect(a.session('made-up')).toBeUndefined();
    expect(a.purgeExpired()).toBe(1);
    expect(a.session(s.token)).toBeUndefined();
  });

  it('accepts a token until it is revoked', async () => {
    const { a } = accounts();
    await a.addUser({ name: 'fi', role: 'funder', sites: ['demo'], password: 'funder password' });
    const t = a.createToken('fi', 'quarterly report');
    expect(t.token).toMatch(/^dpt_[0-9a-f]{12}_[\w-]{43}$/);
    expect(a.tokenUser(t.token)).toMatchObject({ user: { name: 'fi', role: 'funder' }, tokenId: t.id });
    expect(a.tokenUser(`${t.token}x`)).toBeUndefined();
    expect(a.revokeToken(t.id)?.revokedAt).not.toBeNull();
    expect(a.tokenUser(t.token)).toBeUndefined();
  });

  it('drops a deleted user’s sessions and tokens', async () => {
    const { a } = accounts();
    await a.addUser({ name: 'fi', role: 'funder', sites: ['demo'], password: 'funder password' });
    const t = a.createToken('fi', 'x');
    const s = a.createSession('fi', 60_000);
    expect(a.deleteUser('fi')).toBe(true);
    expect(a.tokenUser(t.token)).toBeUndefined();
    expect(a.session(s.token)).toBeUndefined();
  });
});

describe('broker credentials', () => {
  it('verifies a device secret until it is rotated or revoked', async () => {
    const { a } = accounts();
    const { secret } = await a.addCredential({ username: 'plug-n01', type: 'device', site: 'demo' });
    expect(await a.verifyCredential('plug-n01', secret)).toMatchObject({ username: 'plug-n01', type: 'device', site: 'demo' });
    expect(await a.verifyCredential('plug-n01', 'guess')).toBeNull();
    await expect(a.addCredential({ username: 'plug-n01', type: 'device', site: 'demo' })).rejects.toThrow(/rotate/);
    const next = await a.rotateCredential('plug-n01');
    expect(await a.verifyCredential('plug-n01', secret)).toBeNull();
    expect(await a.verifyCredential('plug-n01', next)).not.toBeNull();
    expect(a.revokeCredential('plug-n01')).toBe(true);
    expect(await a.verifyCredential('plug-n01', next)).toBeNull();
  });

  it('needs scopes for a bridge and a site for devices', async () => {
    const { a } = accounts();
    await expect(a.addCredential({ username: 'z2m', type: 'bridge', site: 'demo' })).rejects.toThrow(/scope/);
    await expect(a.addCredential({ username: 'p', type: 'device', site: null })).rejects.toThrow(/site/);
    const { credential } = await a.addCredential({ username: 'z2m', type: 'bridge', site: 'demo', scopes: ['zigbee2mqtt/#'] });
    expect(credential.scopes).toEqual(['zigbee2mqtt/#']);
  });
});

describe('audit and erasures', () => {
  it('lists entries newest first, limited to a manager’s sites and their users’ site-less entries', async () => {
    const { a, advance } = accounts();
    await a.addUser({ name: 'ann', role: 'member', sites: ['demo'], member: 'm01', password: 'a long test password' });
    await a.addUser({ name: 'oz', role: 'manager', sites: ['other'], password: 'a long test password' });
    a.audit({ actor: 'ann', action: 'login.success', ip: '10.0.0.1' });
    advance(1000);
    a.audit({ actor: 'mo', action: 'member.export', target: 'm01', site: 'demo' });
    advance(1000);
    a.audit({ actor: 'zed', action: 'member.erase', target: 'x1', site: 'other' });
    advance(1000);
    a.audit({ actor: 'oz', action: 'login.success' });
    a.audit({ actor: 'nobody', action: 'login.failure' });
    a.audit({ actor: 'cli', action: 'token.create', target: 't1', details: { user: 'oz', label: 'x' } });
    a.audit({ actor: 'cli', action: 'user.delete', target: 'gone', details: { sites: ['demo'] } });
    a.audit({ actor: 'system', action: 'retention.purge' });
    expect(a.auditLog().map((e) => e.action)).toEqual(['retention.purge', 'user.delete', 'token.create', 'login.failure', 'login.success', 'member.erase', 'member.export', 'login.success']);
    expect(a.auditLog({ sites: ['demo'] }).map((e) => `${e.actor} ${e.action}`)).toEqual(['system retention.purge', 'cli user.delete', 'mo member.export', 'ann login.success']);
    expect(a.auditLog({ sites: ['other'] }).map((e) => `${e.actor} ${e.action}`)).toEqual(['system retention.purge', 'cli token.create', 'oz login.success', 'zed member.erase']);
    expect(a.auditLog({ action: 'login.success', limit: 2 })[1]).toMatchObject({ actor: 'ann', ip: '10.0.0.1', details: null });
  });

  it('gives a member one stable anonymous id that is a valid member id', () => {
    const { a } = accounts();
    const anon = a.anonymousIdFor('demo', 'm01');
    expect(anon).toMatch(/^anon-[0-9a-f]{12}$/);
    expect(a.anonymousIdFor('demo', 'm01')).toBe(anon);
    expect(a.anonymousIdFor('demo', 'm02')).not.toBe(anon);
  });
});
