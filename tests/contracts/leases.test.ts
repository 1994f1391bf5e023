import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createLeaseStore } from '../../store/leases.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { describeLeaseStoreContract } from './leases.contract.ts';

describeLeaseStoreContract('sqlite', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'deskprint-leases-'));
  const file = path.join(dir, 'registry.db');
  return {
    open: () => createLeaseStore(file),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

// One real server for the file (tests/support/postgres.ts); each test gets a database of its own.
let server: Postgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.cleanup();
});

describeLeaseStoreContract('postgres', async () => {
  const url = await server.createDatabase();
  return { open: () => createLeaseStore(url), cleanup: async () => {} };
});
