import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from '../../store/index.ts';
import { describeStoreContract } from './store.contract.ts';

describeStoreContract('sqlite', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'deskprint-sqlite-'));
  const store = createStore({ kind: 'sqlite', dataDir });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
