/** Where a run's results JSON goes (kept apart from write.ts, which loads prettier). */
import { join } from 'node:path';
import type { BenchResults } from '../bench';

/**
 * `<date>.json` for a full run of every scenario; a quick run, or one narrowed with --only or --rates,
 * gets a prefix, so exploring never overwrites the day's full results (which the docs are made from).
 */
export function resultsPath(r: BenchResults, dir = join(__dirname, '..', 'results')): string {
  const day = r.date.slice(0, 10);
  const kind = [r.profile === 'full' ? '' : r.profile, r.partial ? 'partial' : ''].filter(Boolean).join('-');
  return join(dir, kind ? `${kind}-${day}.json` : `${day}.json`);
}
