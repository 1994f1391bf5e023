/**
 * `deskprint devices`: MQTT credentials for the embedded broker (docs/security.md).
 *
 *   deskprint devices add --site S --kind K [--desk D | --zone Z] [--id ID] [--name N] [--carrier C] [--category C]
 *       registers a new device and creates its credential (username = device id)
 *   deskprint devices add --site S --device ID
 *       a credential for a device the site file already lists
 *   deskprint devices add --site S --bridge NAME --scope FILTER [--scope FILTER...]
 *       a Zigbee2MQTT, Shelly or Tasmota installation, confined to its topics (e.g. zigbee2mqtt/#)
 *   deskprint devices add --site S --gateway NAME
 *       a site-local broker's bridge, confined to the site's gateway prefix deskprint/S/_gw/#
 *   deskprint devices add --service NAME
 *       an ingest or API process on another machine: may subscribe to every topic
 *   deskprint devices rotate ID      a new secret; the old one stops working at once
 *   deskprint devices revoke ID
 *   deskprint devices list
 *
 * The secret is printed once and stored as an scrypt hash. Works while `deskprint start`
 * runs; a device added with --kind is registered when it first connects.
 * Exit codes: 0 done, 1 refused, 2 bad arguments.
 */
import { randomBytes } from 'node:crypto';
import { parseCommandArgs } from './common.ts';
import { DEVICE_KIND_KEYS, type Carrier, type Category, type DeviceKind } from '../../devices/kinds.ts';
import { siteFileSchema } from '../../devices/site.ts';
import { deviceTopics, topics } from '../../devices/topics.ts';
import { AccountError, type DeviceCredential, type DeviceRegistration } from '../../accounts/accounts.ts';
import { COMMON_OPTIONS, UsageError, accountCommandFailure, openAccounts, processIo, type CommandIo } from './users.ts';

const USAGE = `usage:
  deskprint devices add --site S --kind K [--desk D | --zone Z] [--id ID] [--name N] [--carrier C] [--category C]
  deskprint devices add --site S --device ID
  deskprint devices add --site S --bridge NAME --scope FILTER [--scope FILTER...]
  deskprint devices add --site S --gateway NAME
  deskprint devices add --service NAME
  deskprint devices rotate ID
  deskprint devices revoke ID
  deskprint devices list
options: --data-dir DIR (DESKPRINT_DATA_DIR), --site-file FILE... (DESKPRINT_SITES)`;

export async function runDevices(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseCommandArgs('devices', USAGE, args, {
    ...COMMON_OPTIONS,
    site: { type: 'string' },
    kind: { type: 'string' },
    desk: { type: 'string' },
    zone: { type: 'string' },
    id: { type: 'string' },
    name: { type: 'string' },
    carrier: { type: 'string' },
    category: { type: 'string' },
    device: { type: 'string' },
    bridge: { type: 'string' },
    scope: { type: 'string', multiple: true },
    gateway: { type: 'string' },
    service: { type: 'string' },
  }, { positionals: true, io });
  if ('exit' in parsed) return parsed.exit;
  const { values, positionals } = parsed;
  const [action, id] = positionals;
  let opened: ReturnType<typeof openAccounts> | undefined;
  try {
    if (!action || !['add', 'rotate', 'revoke', 'list'].includes(action)) throw new UsageError(`unknown or missing action "${action ?? ''}"`);
    opened = openAccounts(io, { dataDir: values['data-dir'], siteFiles: values['site-file'] });
    const { accounts, sites } = opened;

    switch (action) {
      case 'add': {
        const modes = [values.kind, values.device, values.bridge, values.gateway, values.service].filter((v) => v !== undefined).length;
        if (modes !== 1) throw new UsageError('give exactly one of --kind, --device, --bridge, --gateway or --service');
        if (values.service) {
          const { secret } = await accounts.addCredential({ username: values.service, type: 'service', site: null });
          accounts.audit({ actor: 'cli', action: 'device.add', target: values.service, details: { type: 'service' } });
          printSecret(io, values.service, secret, ['every topic (subscribe); all but $SYS (publish)']);
          return 0;
        }
        const site = sites.find((s) => s.id === values.site);
        if (!values.site) throw new UsageError('--site is required');
        if (!site) throw new UsageError(`no site "${values.site}" in the site files (${sites.map((s) => s.id).join(', ')})`);

        if (values.bridge) {
          const scopes = values.scope ?? [];
          if (scopes.length === 0) throw new UsageError('a bridge needs --scope, e.g. --scope "zigbee2mqtt/#"');
          for (const s of scopes) if (s === '#' || s.startsWith('deskprint/') || s.startsWith('$')) throw new UsageError(`scope "${s}" would reach deskprint's own or every topic`);
          const { secret } = await accounts.addCredential({ username: values.bridge, type: 'bridge', site: site.id, scopes });
          accounts.audit({ actor: 'cli', action: 'device.add', target: values.bridge, site: site.id, details: { type: 'bridge', scopes } });
          printSecret(io, values.bridge, secret, scopes);
          return 0;
        }

        if (values.gateway) {
          const { secret } = await accounts.addCredential({ username: values.gateway, type: 'gateway', site: site.id });
          accounts.audit({ actor: 'cli', action: 'device.add', target: values.gateway, site: site.id, details: { type: 'gateway' } });
          printSecret(io, values.gateway, secret, [topics.siteGateway(site.id)]);
          return 0;
        }

        if (values.device) {
          if (!site.devices.some((d) => d.id === values.device)) throw new UsageError(`site "${site.id}" has no device "${values.device}"; register it with --kind`);
          const { secret } = await accounts.addCredential({ username: values.device, type: 'device', site: site.id });
          accounts.audit({ actor: 'cli', action: 'device.add', target: values.device, site: site.id, details: { type: 'device' } });
          printSecret(io, values.device, secret, deviceTopics(site.id, values.device));
          return 0;
        }

        const kind = values.kind as DeviceKind;
        if (!DEVICE_KIND_KEYS.includes(kind)) throw new UsageError(`--kind must be one of ${DEVICE_KIND_KEYS.join(', ')}`);
        if (values.desk && values.zone) throw new UsageError('give --desk or --zone, not both');
        const deviceId = values.id ?? `${kind.replace(/_/g, '-')}-${randomBytes(3).toString('hex')}`;
        if (site.devices.some((d) => d.id === deviceId)) throw new UsageError(`site "${site.id}" already has a device "${deviceId}"; use --device`);
        const registration: DeviceRegistration = {
          kind,
          ...(values.desk ? { desk: values.desk } : {}),
          ...(values.zone ? { zone: values.zone } : {}),
          ...(values.name ? { name: values.name } : {}),
          ...(values.carrier ? { carrier: values.carrier as Carrier } : {}),
          ...(values.category ? { category: values.category as Category } : {}),
        };
        // The site file's own rules decide whether the device fits (desk exists, carrier given, …).
        const check = siteFileSchema.safeParse({ ...site, devices: [...site.devices, { id: deviceId, ...registration }] });
        if (!check.success) {
          const problems = check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
          throw new UsageError(`the device does not fit site "${site.id}":\n  ${problems.join('\n  ')}`);
        }
        const { secret } = await accounts.addCredential({ username: deviceId, type: 'device', site: site.id, registration });
        accounts.audit({ actor: 'cli', action: 'device.add', target: deviceId, site: site.id, details: { type: 'device', ...registration } });
        printSecret(io, deviceId, secret, deviceTopics(site.id, deviceId));
        return 0;
      }
      case 'rotate': {
        if (!id) throw new UsageError('rotate needs an ID');
        const secret = await accounts.rotateCredential(id);
        const c = accounts.credential(id)!;
        accounts.audit({ actor: 'cli', action: 'device.rotate', target: id, site: c.site });
        printSecret(io, id, secret, credentialTopics(c));
        return 0;
      }
      case 'revoke': {
        if (!id) throw new UsageError('revoke needs an ID');
        const c = accounts.credential(id);
        if (!c || !accounts.revokeCredential(id)) throw new AccountError(`no active credential "${id}"`);
        accounts.audit({ actor: 'cli', action: 'device.revoke', target: id, site: c.site });
        io.out(`credential "${id}" revoked; new connections with it are refused (a connected device keeps its session until it reconnects)`);
        return 0;
      }
      case 'list': {
        for (const c of accounts.credentials()) {
          const state = c.revokedAt !== null ? 'revoked' : 'active';
          const where = c.type === 'gateway' ? credentialTopics(c) : c.scopes;
          io.out(`${c.username}\t${c.type}\t${c.site ?? '-'}\t${state}${where.length ? `\t${where.join(' ')}` : ''}${c.registration ? `\t${c.registration.kind}` : ''}`);
        }
        return 0;
      }
    }
    return 2;
  } catch (err) {
    return accountCommandFailure(err, 'devices', USAGE, io);
  } finally {
    opened?.accounts.close();
  }
}

/** What a credential may publish to, as `rotate` prints it. */
function credentialTopics(c: DeviceCredential): string[] {
  if (c.type === 'device' && c.site) return deviceTopics(c.site, c.username);
  if (c.type === 'gateway' && c.site) return [topics.siteGateway(c.site)];
  return c.scopes;
}

function printSecret(io: CommandIo, username: string, secret: string, topics: string[]): void {
  io.out(`MQTT username: ${username}`);
  io.out(`MQTT password (shown once): ${secret}`);
  io.out(`may publish to: ${topics.join(', ')}`);
}
