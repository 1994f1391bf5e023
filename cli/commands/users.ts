/**
 * `deskprint users`: people who sign in to the dashboard and API (docs/security.md).
 *
 *   deskprint users add NAME --role manager|member|funder --site S [--site S2] [--member M] [--password-stdin]
 *   deskprint users passwd NAME [--password-stdin]
 *   deskprint users token NAME [--label L]      (prints a new API token once)
 *   deskprint users token --revoke ID
 *   deskprint users list
 *   deskprint users delete NAME
 *
 * Without --password-stdin a random password is generated and printed once. Works while
 * `deskprint start` runs (same accounts.db). Exit codes: 0 done, 1 refused, 2 bad arguments.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseCommandArgs } from './common.ts';
import type { SiteFile } from '../../devices/site.ts';
import { loadSiteFiles } from '../paths.ts';
import { AccountError, Accounts, ROLES, type Role } from '../../accounts/accounts.ts';
import { configFromEnv, loadConfig } from '../config.ts';


export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Reads all of stdin (for --password-stdin). */
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

export const processIo: CommandIo = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

export class UsageError extends Error {}

/**
 * The exit code of an account command that failed: a usage error (2, with the usage), an
 * account error such as an unknown user (1); anything else is a bug and is rethrown.
 */
export function accountCommandFailure(err: unknown, command: string, usage: string, io: CommandIo): number {
  if (err instanceof UsageError) {
    io.err(`deskprint ${command}: ${err.message}\n\n${usage}`);
    return 2;
  }
  if (err instanceof AccountError) {
    io.err(`deskprint ${command}: ${err.message}`);
    return 1;
  }
  throw err;
}

/** Opens accounts.db in the configured data directory and reads the configured site files. */
export function openAccounts(io: CommandIo, flags: { dataDir?: string | undefined; siteFiles?: string[] | undefined }): { accounts: Accounts; sites: SiteFile[] } {
  const config = loadConfig(configFromEnv(io.env), {
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    ...(flags.siteFiles?.length ? { sites: flags.siteFiles } : {}),
  });
  const sites = loadSiteFiles(config.sites);
  return { accounts: new Accounts({ file: path.join(path.resolve(config.dataDir), 'accounts.db') }), sites };
}

export const COMMON_OPTIONS = {
  'data-dir': { type: 'string' },
  'site-file': { type: 'string', multiple: true },
} as const;

const USAGE = `usage:
  deskprint users add NAME --role manager|member|funder --site S [--site S2] [--member M] [--password-stdin]
  deskprint users passwd NAME [--password-stdin]
  deskprint users token NAME [--label L]
  deskprint users token --revoke ID
  deskprint users list
  deskprint users delete NAME
options: --data-dir DIR (DESKPRINT_DATA_DIR), --site-file FILE... (DESKPRINT_SITES)`;

export async function runUsers(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseCommandArgs('users', USAGE, args, {
    ...COMMON_OPTIONS,
    role: { type: 'string' },
    site: { type: 'string', multiple: true },
    member: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    label: { type: 'string' },
    revoke: { type: 'string' },
  }, { positionals: true, io });
  if ('exit' in parsed) return parsed.exit;
  const { values, positionals } = parsed;
  const [action, name] = positionals;
  let opened: ReturnType<typeof openAccounts> | undefined;
  try {
    if (!action || !['add', 'passwd', 'token', 'list', 'delete'].includes(action)) throw new UsageError(`unknown or missing action "${action ?? ''}"`);
    opened = openAccounts(io, { dataDir: values['data-dir'], siteFiles: values['site-file'] });
    const { accounts, sites } = opened;
    const newPassword = async () => (values['password-stdin'] ? (await io.readStdin()).replace(/\r?\n$/, '') : null);

    switch (action) {
      case 'add': {
        if (!name) throw new UsageError('add needs a NAME');
        const role = values.role as Role | undefined;
        if (!role || !(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const siteIds = values.site ?? [];
        if (siteIds.length === 0) throw new UsageError('--site is required (repeat it for several sites)');
        for (const s of siteIds) if (!sites.some((f) => f.id === s)) throw new UsageError(`no site "${s}" in the site files (${sites.map((f) => f.id).join(', ')})`);
        if (values.member) {
          const site = sites.find((f) => f.id === siteIds[0]);
          if (!site?.members.some((m) => m.id === values.member)) throw new UsageError(`no member "${values.member}" at site "${siteIds[0]}"`);
        }
        const given = await newPassword();
        const password = given ?? randomBytes(12).toString('base64url');
        const user = await accounts.addUser({ name, role, sites: siteIds, ...(values.member ? { member: values.member } : {}), password });
        accounts.audit({ actor: 'cli', action: 'user.add', target: user.name, details: { role, sites: siteIds, ...(values.member ? { member: values.member } : {}) } });
        io.out(`added ${user.role} "${user.name}" (sites: ${user.sites.join(', ')}${user.member ? `; member ${user.member}` : ''})`);
        if (!given) io.out(`password (shown once): ${password}`);
        return 0;
      }
      case 'passwd': {
        if (!name) throw new UsageError('passwd needs a NAME');
        const given = await newPassword();
        const password = given ?? randomBytes(12).toString('base64url');
        await accounts.setPassword(name, password);
        accounts.audit({ actor: 'cli', action: 'user.passwd', target: name.toLowerCase() });
        io.out(`password of "${name}" changed; their sessions have ended`);
        if (!given) io.out(`password (shown once): ${password}`);
        return 0;
      }
      case 'token': {
        if (values.revoke) {
          const t = accounts.revokeToken(values.revoke);
          if (!t) throw new AccountError(`no token "${values.revoke}"`);
          accounts.audit({ actor: 'cli', action: 'token.revoke', target: t.id, details: { user: t.user } });
          io.out(`token ${t.id} of "${t.user}" revoked`);
          return 0;
        }
        if (!name) throw new UsageError('token needs a NAME (or --revoke ID)');
        const label = values.label ?? 'cli';
        const t = accounts.createToken(name, label);
        accounts.audit({ actor: 'cli', action: 'token.create', target: t.id, details: { user: name.toLowerCase(), label } });
        io.out(`token ${t.id} for "${name}" (${label}); send it as "Authorization: Bearer <token>". Shown once:`);
        io.out(t.token);
        return 0;
      }
      case 'list': {
        for (const u of accounts.users()) {
          const tokens = accounts.tokens(u.name).filter((t) => t.revokedAt === null).length;
          io.out(`${u.name}\t${u.role}\t${u.sites.join(',')}${u.member ? `\tmember ${u.member}` : ''}\t${tokens} token(s)`);
        }
        return 0;
      }
      case 'delete': {
        if (!name) throw new UsageError('delete needs a NAME');
        const sites = accounts.user(name)?.sites ?? [];
        if (!accounts.deleteUser(name)) throw new AccountError(`no user "${name}"`);
        // Their sites: the entry stays visible to those sites' managers once the user is gone.
        accounts.audit({ actor: 'cli', action: 'user.delete', target: name.toLowerCase(), details: { sites } });
        io.out(`deleted "${name}" with their sessions and tokens`);
        return 0;
      }
    }
    return 2;
  } catch (err) {
    return accountCommandFailure(err, 'users', USAGE, io);
  } finally {
    opened?.accounts.close();
  }
}
