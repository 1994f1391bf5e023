/** Signing in from tests: users and API tokens created straight in a running deskprint's accounts. */
import { randomBytes } from 'node:crypto';
import type { DeskprintHandle } from '../../cli/start.ts';
import type { Role } from '../../accounts/accounts.ts';

/** Creates a user (unless it exists) and returns an API token for it. */
export async function apiToken(
  dp: Pick<DeskprintHandle, 'accounts' | 'registry'>,
  opts: { name?: string; role?: Role; sites?: string[]; member?: string } = {},
): Promise<string> {
  const role = opts.role ?? 'manager';
  const name = opts.name ?? `test-${role}-${randomBytes(3).toString('hex')}`;
  if (!dp.accounts.user(name)) {
    const sites = opts.sites ?? dp.registry.sites().map((s) => s.id);
    await dp.accounts.addUser({ name, role, sites, ...(opts.member ? { member: opts.member } : {}), password: randomBytes(12).toString('base64url') });
  }
  return dp.accounts.createToken(name, 'test').token;
}

export function bearer(token: string): { headers: { authorization: string } } {
  return { headers: { authorization: `Bearer ${token}` } };
}
