/**
 * Prints the hottest functions of a V8 CPU profile (`node --cpu-prof`):
 * self time, and inclusive time of our own source files.
 * Usage: tsx bench/report/profile-top.ts <file.cpuprofile> [rows]
 */
import { readFileSync } from 'node:fs';

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

export function topFunctions(file: string, rows = 25): { self: [string, number][]; total: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const time = new Map<number, number>();
  p.samples.forEach((s, i) => time.set(s, (time.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  let total = 0;
  for (const [id, us] of time) {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '~/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${url.split('/').slice(-3).join('/')}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  return { self: [...self].sort((a, b) => b[1] - a[1]).slice(0, rows), total };
}

if (require.main === module) {
  const [file, rows] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx bench/report/profile-top.ts <file.cpuprofile> [rows]\n');
    process.exit(2);
  }
  const { self, total } = topFunctions(file, Number(rows) || 25);
  process.stdout.write(`total sampled ${(total / 1000).toFixed(0)} ms\n`);
  for (const [k, us] of self) {
    process.stdout.write(
      `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}\n`,
    );
  }
}
