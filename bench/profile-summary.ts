/**
 * Where the time goes in a V8 CPU profile (`node --cpu-prof`): self time by function and
 * by file, largest first.
 *
 *   node bin/run-ts.js bench/profile-summary.ts PROFILE.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summariseProfile(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  const where = (url: string) => {
    if (!url) return '(native)';
    const p = url.replace('file://', '');
    const nm = p.lastIndexOf('node_modules/');
    if (nm >= 0) return p.slice(nm + 13).split('/').slice(0, p.slice(nm + 13).startsWith('@') ? 2 : 1).join('/');
    return path.relative(process.cwd(), p);
  };
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const file = where(n.callFrame.url);
    const fn = `${n.callFrame.functionName || '(anonymous)'}  ${file}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)
      .join('\n');
  return `total ${(total / 1000).toFixed(0)} ms sampled\nby file / package:\n${fmt(byFile)}\nby function:\n${fmt(byFn)}`;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('profile-summary.ts')) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: profile-summary.ts PROFILE.cpuprofile [top]');
    process.exit(2);
  }
  console.log(summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25)));
}
