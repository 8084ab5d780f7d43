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

function keyOf(n: ProfileNode): string {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '~/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url.split('/').slice(-3).join('/')}:${n.callFrame.lineNumber + 1}`;
}

export function topFunctions(
  file: string,
  rows = 25,
  match = '/src/',
): { self: [string, number][]; inclusive: [string, number][]; total: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const time = new Map<number, number>();
  p.samples.forEach((s, i) => time.set(s, (time.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  let total = 0;
  for (const [id, us] of time) {
    const key = keyOf(byId.get(id)!);
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  // inclusive time of functions whose file path contains `match`, each stack counted once per function
  const inclusive = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>): number => {
    const n = byId.get(id)!;
    let sum = time.get(id) ?? 0;
    const key = keyOf(n);
    const mine = n.callFrame.url.includes(match) && !onStack.has(key);
    if (mine) onStack.add(key);
    for (const c of n.children ?? []) sum += walk(c, onStack);
    if (mine) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
    }
    return sum;
  };
  walk(p.nodes[0].id, new Set());
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, rows);
  return { self: top(self), inclusive: top(inclusive), total };
}

if (require.main === module) {
  const [file, rows, match] = process.argv.slice(2);
  if (!file) {
    process.stderr.write(
      'usage: tsx bench/report/profile-top.ts <file.cpuprofile> [rows] [path filter for inclusive]\n',
    );
    process.exit(2);
  }
  const filter = match ?? '/src/';
  const { self, inclusive, total } = topFunctions(file, Number(rows) || 25, filter);
  const line = ([k, us]: [string, number]) =>
    `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}\n`;
  process.stdout.write(`total sampled ${(total / 1000).toFixed(0)} ms\n\nself time:\n`);
  for (const row of self) process.stdout.write(line(row));
  process.stdout.write(`\ninclusive time (files matching ${filter}):\n`);
  for (const row of inclusive) process.stdout.write(line(row));
}
