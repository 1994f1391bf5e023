/**
 * What every deskprint process opens first, whatever its role: the configuration's sites in
 * the registry, the accounts database, the time-series store.
 */
import path from 'node:path';
import type { TimeSeriesStore } from '../../store/types.ts';
import { Registry } from '../../store/registry.ts';
import { createStore } from '../../store/index.ts';
import { Accounts, registerAddedDevices } from '../../accounts/accounts.ts';
import { ensureDemoUsers, type DemoUser } from '../../api/auth/demo.ts';
import { storeConfigOf } from '../commands/common.ts';
import { loadSiteFiles } from '../paths.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface Foundation {
  config: Config;
  log: Logger;
  dataDir: string;
  registry: Registry;
  accounts: Accounts;
  store: TimeSeriesStore;
  /** With --demo: the demo sign-ins and their passwords for this run. */
  demoUsers: DemoUser[];
}

export interface FoundationExtras {
  /** Clock for sessions, lockouts, audit and broker rate limits (tests). */
  authClock?: () => number;
}

export async function openFoundation(config: Config, log: Logger, life: Lifecycle, extras: FoundationExtras = {}): Promise<Foundation> {
  const dataDir = path.resolve(config.dataDir);
  const registry = new Registry(path.join(dataDir, 'registry.db'));
  life.defer(() => registry.close());
  for (const site of loadSiteFiles(config.sites)) registry.loadSite(site);
  const accounts = new Accounts({ file: path.join(dataDir, 'accounts.db'), ...(extras.authClock ? { clock: extras.authClock } : {}) });
  life.defer(() => accounts.close());
  registerAddedDevices(registry, accounts.credentials());
  const demoUsers = config.demo ? await ensureDemoUsers(accounts, registry) : [];
  const store = createStore(storeConfigOf(config, dataDir));
  // Bounded: an InfluxDB that does not answer is waited for a few seconds at most, then
  // written to the spool (store/influx/store.ts), so devices are never kept waiting on it.
  await store.init();
  life.defer(() => store.close());
  return { config, log, dataDir, registry, accounts, store, demoUsers };
}
