/**
 * /api/openapi.json describes every route the running app serves, with parameters, roles and
 * error codes (issue 22). The test walks the express app's router of a real deskprint process
 * (every router start.ts mounts) and fails when a route is missing from the document, or when
 * the document lists a route that does not exist.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { ERROR_CODES } from '../../api/errors.ts';
import { getJson } from '../support/wait.ts';

let dp: DeskprintHandle;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-openapi-'));
  dp = await startDeskprint({ demo: true, simulate: false, httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false });
}, 60_000);

afterAll(async () => {
  await dp?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  rawPath?: unknown;
  handle?: { stack?: Layer[] };
}

/** `METHOD /api/path/{param}` for every route layer under /api, nested routers included. */
function appRoutes(stack: readonly Layer[], prefix = ''): Set<string> {
  const out = new Set<string>();
  for (const layer of stack) {
    if (layer.route) {
      for (const p of [layer.route.path].flat()) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.add(`${method.toUpperCase()} ${prefix}${p}`);
      }
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      for (const r of appRoutes(layer.handle.stack, prefix + mount)) out.add(r);
    }
  }
  return new Set([...out].filter((r) => r.split(' ')[1]!.startsWith('/api/')).map((r) => r.replace(/:(\w+)/g, '{$1}')));
}

type Operation = { parameters?: { name: string; in: string }[]; responses: Record<string, { description: string }>; 'x-roles': unknown; 'x-error-codes': string[]; description: string };

describe('/api/openapi.json', () => {
  it('lists exactly the routes the app serves', async () => {
    const { body: doc } = await getJson<{ paths: Record<string, Record<string, Operation>> }>(`${dp.httpUrl}/api/openapi.json`);
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const served = appRoutes((dp.app as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(served.size).toBeGreaterThanOrEqual(20);
    expect([...served].filter((r) => !documented.has(r)), 'routes missing from the document').toEqual([]);
    expect([...documented].filter((r) => !served.has(r)), 'documented routes that do not exist').toEqual([]);
  });

  it('gives every operation its path parameters, its roles and its error codes with their statuses', async () => {
    const { body: doc } = await getJson<{ paths: Record<string, Record<string, Operation>> }>(`${dp.httpUrl}/api/openapi.json`);
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${p}`;
        const placeholders = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect((op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name), where).toEqual(placeholders);
        expect(op['x-roles'], where).toBeDefined();
        expect(op.description, where).toMatch(/^Roles: /);
        expect(op['x-error-codes'], where).toContain('ERR_INTERNAL');
        for (const code of op['x-error-codes']) {
          const status = String(ERROR_CODES[code as keyof typeof ERROR_CODES].status);
          expect(op.responses[status]?.description, `${where} ${code}`).toContain(code);
        }
      }
    }
    // Spot checks against behaviour: managers only, and a signed-in route answers 401 without a credential.
    expect(doc.paths['/api/sites/{site}/alerts']!.get!['x-roles']).toEqual(['manager']);
    expect(doc.paths['/api/sites/{site}/series']!.get!.parameters!.map((x) => x.name)).toContain('metric');
    const unauth = await fetch(`${dp.httpUrl}/api/sites/demo/alerts`);
    expect(unauth.status).toBe(401);
    expect(doc.paths['/api/sites/{site}/alerts']!.get!['x-error-codes']).toContain('ERR_UNAUTHENTICATED');
  });
});
