/** Writes a run's outputs: the results JSON and, on request, docs/benchmarks.md with its SVG chart. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { BenchResults } from '../bench';
import { renderMarkdown } from './markdown';
import { resultsPath } from './results-path';
import { latencyChartSvg } from './svg';

export const ROOT = join(__dirname, '..', '..');
export const DOC = join(ROOT, 'docs', 'benchmarks.md');
export const CHART = join(ROOT, 'docs', 'benchmarks-latency.svg');

export function writeResults(r: BenchResults, file = resultsPath(r)): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

export async function writeDocs(r: BenchResults, resultsFile: string): Promise<void> {
  const hasChart = Boolean(r.latency?.length);
  if (hasChart) writeFileSync(CHART, latencyChartSvg(r));
  const md = renderMarkdown(r, {
    resultsFile: relative(ROOT, resultsFile),
    chartFile: hasChart ? relative(dirname(DOC), CHART) : undefined,
  });
  const config = (await resolveConfig(DOC)) ?? {};
  writeFileSync(DOC, await format(md, { ...config, parser: 'markdown' }));
}
