/**
 * Demo sign-ins for `deskprint start --demo`: one manager, one member (linked to the demo
 * site's first member, m01) and one funder. Each start gives them fresh random passwords,
 * printed once in the start-up log; outside --demo nothing here runs.
 */
import { randomBytes } from 'node:crypto';
import type { Accounts, Role } from '../../accounts/accounts.ts';
import type { Registry } from '../../store/registry.ts';

export interface DemoUser {
  name: string;
  password: string;
  role: Role;
  sites: string[];
  member?: string;
}

export async function ensureDemoUsers(accounts: Accounts, registry: Registry): Promise<DemoUser[]> {
  const sites = registry.sites().map((s) => s.id);
  const memberSite = registry.site('demo') ?? registry.sites().find((s) => s.members.length > 0);
  const wanted: Omit<DemoUser, 'password'>[] = [
    { name: 'manager', role: 'manager', sites },
    ...(memberSite?.members[0] ? [{ name: 'member', role: 'member' as const, sites: [memberSite.id], member: memberSite.members[0].id }] : []),
    { name: 'funder', role: 'funder', sites },
  ];
  const out: DemoUser[] = [];
  for (const w of wanted) {
    // Readable enough to type from a terminal; 96 random bits.
    const password = randomBytes(12).toString('base64url');
    const existing = accounts.user(w.name);
    if (existing && (existing.role !== w.role || existing.member !== w.member || existing.sites.join() !== w.sites.join())) accounts.deleteUser(w.name);
    if (accounts.user(w.name)) await accounts.setPassword(w.name, password);
    else await accounts.addUser({ ...w, password });
    out.push({ ...w, password });
  }
  return out;
}
