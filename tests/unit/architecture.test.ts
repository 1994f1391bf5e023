/**
 * The layout of ../shared/DESIGN.md "Layout" (mirrored in README's architecture table),
 * checked on the import statements themselves: which top-level part may import which, that
 * api/ takes nothing but types from ingest/ (what it needs of ingest comes through
 * createApp's deps), and that no import cycle joins top-level parts or files of footprint/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Who may import whom; `types` parts only with `import type`. The cli, tests and bench may import everything. */
const MAY_IMPORT: Record<string, { values: string[]; types?: string[] }> = {
  devices: { values: [] },
  broker: { values: ['devices', 'accounts', 'store'] },
  ingest: { values: ['devices', 'footprint', 'store'] },
  footprint: { values: ['devices'], types: ['store'] },
  accounts: { values: ['devices', 'store'] },
  store: { values: ['devices'] },
  api: { values: ['store', 'devices', 'footprint', 'accounts'], types: ['ingest'] },
  // Types only, so no server code reaches the bundle: the REST shapes the server declares.
  dashboard: { values: [], types: ['devices', 'footprint', 'api'] },
  simulators: { values: ['devices'] },
};

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
  line: number;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name === 'fixtures') continue;
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mts|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Relative imports and re-exports of a file (in a .svelte file, of its script blocks). */
function importsOf(file: string): Import[] {
  let text = readFileSync(path.join(ROOT, file), 'utf8');
  if (file.endsWith('.svelte')) text = [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean, node: ts.Node) => {
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) return;
    const to = path.normalize(path.join(path.dirname(file), spec.text));
    out.push({ from: file, to, typeOnly, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      // `import { type A, type B }` erases like `import type`; a side-effect import does not.
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly, node);
    } else if (ts.isExportDeclaration(node)) {
      const typeOnly = node.isTypeOnly || (!!node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier, typeOnly, node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false, node);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function partOf(file: string): string {
  return file.split(path.sep)[0]!;
}

const PARTS = ['devices', 'broker', 'ingest', 'footprint', 'accounts', 'store', 'api', 'dashboard', 'simulators', 'cli'];
const IMPORTS = PARTS.filter((p) => existsSync(path.join(ROOT, p))).flatMap((p) => sourceFiles(p)).flatMap(importsOf);

/** Every cycle's members, one list per strongly connected component of more than one node (Tarjan). */
export function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || edges.get(v)?.has(v)) out.push(comp.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) strong(v);
  return out;
}

function graph(pairs: Iterable<[string, string]>): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const [a, b] of pairs) {
    if (!g.has(a)) g.set(a, new Set());
    if (!g.has(b)) g.set(b, new Set());
    g.get(a)!.add(b);
  }
  return g;
}

describe('architecture', () => {
  it('finds the imports it checks (the scan works)', () => {
    expect(IMPORTS.filter((i) => partOf(i.from) === 'api' && partOf(i.to) === 'footprint').length).toBeGreaterThan(0);
    expect(IMPORTS.some((i) => i.typeOnly)).toBe(true);
    expect(cycles(graph([['a', 'b'], ['b', 'c'], ['c', 'a'], ['c', 'd']]))).toEqual([['a', 'b', 'c']]);
  });

  it('api/ imports no value from ingest/ (only types; the rest comes through createApp deps)', () => {
    const bad = IMPORTS.filter((i) => partOf(i.from) === 'api' && partOf(i.to) === 'ingest' && !i.typeOnly);
    expect(bad.map((i) => `${i.from}:${i.line} imports ${i.to}`)).toEqual([]);
  });

  it('each part imports only the parts DESIGN.md allows', () => {
    const bad: string[] = [];
    for (const i of IMPORTS) {
      const a = partOf(i.from);
      const b = partOf(i.to);
      const rule = MAY_IMPORT[a];
      if (a === b || !rule) continue;
      if (rule.values.includes(b) || (i.typeOnly && rule.types?.includes(b))) continue;
      bad.push(`${i.from}:${i.line} ${i.typeOnly ? 'type ' : ''}import of ${i.to}`);
    }
    expect(bad).toEqual([]);
  });

  it('no import cycle joins top-level parts (type imports count too)', () => {
    const g = graph(IMPORTS.filter((i) => partOf(i.from) !== partOf(i.to) && PARTS.includes(partOf(i.to))).map((i) => [partOf(i.from), partOf(i.to)]));
    expect(cycles(g)).toEqual([]);
  });

  it('no import cycle joins files of footprint/', () => {
    const g = graph(IMPORTS.filter((i) => partOf(i.from) === 'footprint' && partOf(i.to) === 'footprint').map((i) => [i.from, i.to]));
    expect(g.size).toBeGreaterThan(5);
    expect(cycles(g)).toEqual([]);
  });
});
