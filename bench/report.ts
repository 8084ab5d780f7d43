/** Regenerates docs/benchmarks.md and its chart from a results file: `tsx bench/report.ts bench/results/<date>.json`. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchResults } from './bench';
import { writeDocs, DOC } from './report/write';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: tsx bench/report.ts bench/results/<date>.json\n');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
writeDocs(results, resolve(file)).then(
  () => process.stdout.write(`wrote ${DOC}\n`),
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  },
);
