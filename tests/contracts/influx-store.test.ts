/**
 * The store contract against a real InfluxDB. Where a container runtime exists this is an
 * `influxdb:2.7` container, spoken to over its v1 API with a token and a DBRP mapping per
 * test database; where none does (this repository's CI machine has a docker client but no
 * engine) it is the Debian `influxd` 1.6 from tests/support/influxd.ts. Either way it runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll } from 'vitest';
import { createInfluxStore, type InfluxStoreOptions } from '../../store/influx/index.ts';
import { startInfluxd, type Influxd } from '../support/influxd.ts';
import { describeStoreContract } from './store.contract.ts';

/** A server the contract can get fresh, empty databases from. */
interface InfluxTarget {
  label: string;
  connection: Pick<InfluxStoreOptions, 'url' | 'token' | 'username' | 'password' | 'org'>;
  createDatabase(name: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Fails fast (milliseconds) when no runtime is reachable. */
async function hasContainerRuntime(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function localInfluxd(): Promise<InfluxTarget> {
  // Authentication on, so the store's username/password (HTTP Basic) path is exercised too.
  const admin = { username: 'deskprint', password: "contract-pa'ss" };
  const influxd: Influxd = await startInfluxd({ admin });
  return {
    label: 'influxd 1.6 (local, no container runtime; username/password auth)',
    connection: { url: influxd.url, username: admin.username, password: admin.password },
    createDatabase: async (name) => void (await influxd.query(`CREATE DATABASE "${name}"`)),
    dropDatabase: async (name) => void (await influxd.query(`DROP DATABASE "${name}"`)),
    stop: () => influxd.cleanup(),
  };
}

const ORG = 'deskprint';
const TOKEN = 'deskprint-contract-token';

async function influx2Container(): Promise<InfluxTarget> {
  const container: StartedTestContainer = await new GenericContainer('influxdb:2.7')
    .withEnvironment({
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_USERNAME: 'deskprint',
      DOCKER_INFLUXDB_INIT_PASSWORD: 'deskprint-contract',
      DOCKER_INFLUXDB_INIT_ORG: ORG,
      DOCKER_INFLUXDB_INIT_BUCKET: 'deskprint',
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: TOKEN,
    })
    .withExposedPorts(8086)
    .withWaitStrategy(Wait.forHttp('/ping', 8086).forStatusCode(204))
    .start();
  const url = `http://${container.getHost()}:${container.getMappedPort(8086)}`;
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(url + p, {
      method,
      headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>);
  };
  const orgs = (await api('GET', `/api/v2/orgs?org=${ORG}`)) as { orgs: { id: string }[] };
  const orgID = orgs.orgs[0]!.id;
  const buckets = new Map<string, string>();
  return {
    label: 'influxdb:2.7 container (v1 API, token, DBRP mapping)',
    connection: { url, token: TOKEN, org: ORG },
    async createDatabase(name) {
      const bucket = (await api('POST', '/api/v2/buckets', { orgID, name, retentionRules: [] })) as { id: string };
      buckets.set(name, bucket.id);
      await api('POST', '/api/v2/dbrps', { orgID, bucketID: bucket.id, database: name, retention_policy: 'autogen', default: true });
    },
    async dropDatabase(name) {
      const id = buckets.get(name);
      if (id) await api('DELETE', `/api/v2/buckets/${id}`);
    },
    stop: async () => void (await container.stop()),
  };
}

const useContainer = await hasContainerRuntime();
let target: InfluxTarget;
let n = 0;

beforeAll(async () => {
  target = useContainer ? await influx2Container() : await localInfluxd();
  console.info(`influx contract target: ${target.label}`);
}, 180_000);

afterAll(async () => {
  await target?.stop();
});

describeStoreContract(useContainer ? 'influx (influxdb:2.7 container)' : 'influx (local influxd 1.6)', async () => {
  const database = `contract_${process.pid}_${++n}`;
  await target.createDatabase(database);
  const spoolDir = await mkdtemp(path.join(tmpdir(), 'deskprint-spool-'));
  const store = createInfluxStore({ ...target.connection, database, spoolDir, flushIntervalMs: 10 });
  return {
    store,
    async cleanup() {
      await store.close();
      await target.dropDatabase(database);
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
});
