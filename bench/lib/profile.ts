/** Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, top first. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `skipMs`: leaves out the first milliseconds (start-up: module loading, migrations). */
export function summariseProfile(file: string, top = 25, skipMs = 0): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let at = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at < skipMs * 1000) return;
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.startsWith('node:')
        ? 'node core'
        : url.includes('/dist/')
          ? 'kinoservice (dist)'
          : url
            ? url
            : functionName);
    byFile.set(pkg, (byFile.get(pkg) ?? 0) + dt);
  });
  const pct = (v: number) => `${((v / total) * 100).toFixed(1).padStart(5)}%`;
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  const lines = [
    `sampled ${(total / 1e6).toFixed(1)} s after the first ${skipMs} ms; busy ${(((total - idle) / total) * 100).toFixed(1)}%`,
    'self time by function (share of all samples):',
  ];
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(v)}  ${k}`);
  lines.push('self time by package:');
  for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`${pct(v)}  ${k}`);
  return lines.join('\n') + '\n';
}

if (process.argv[1]?.endsWith('profile.ts') && process.argv[2])
  process.stdout.write(
    summariseProfile(process.argv[2], Number(process.argv[3] ?? 30), Number(process.argv[4] ?? 0)),
  );
