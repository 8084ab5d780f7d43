/**
 * The newest firehose entries, as the process's head watcher read them: a
 * contiguous window (every entry after `floor` up to the newest is here), so
 * a read whose cursor falls inside it is answered from memory instead of a
 * Redis round trip per reader — the fan-out loop and every pending
 * `wait_for_events` read the same few new entries each time the log moves.
 *
 * Firehose entries carry the resource streams they were also appended to
 * (field `u`, space-separated URIs), so a read of a resource stream filters
 * the window; an entry without `u` (written by an older version) makes such a
 * read go to Redis.
 */
import { compareCursors } from './cursor';

/** A firehose entry as XREAD returned it, and the resource stream URIs it names (undefined: it did not say). */
export type RecentEntry = { entry: [id: string, fields: string[]]; uris?: readonly string[] };

export class RecentEntries {
  private entries: RecentEntry[] = [];
  /** Every entry after this id (up to the newest) is held; undefined until the window starts. */
  private floor?: string;

  constructor(private readonly capacity: number) {}

  /** Starts (or restarts) the window at `head`: nothing after it is known yet. */
  reset(head: string): void {
    this.entries = [];
    this.floor = this.capacity > 0 ? head : undefined; // no window: nothing is ever covered
  }

  /** Entries read right after the newest one held (XREAD from it), oldest first. */
  push(raw: [id: string, fields: string[]][]): void {
    if (this.floor === undefined) return;
    for (const entry of raw) this.entries.push({ entry, uris: urisOf(entry[1]) });
    if (this.entries.length <= this.capacity) return;
    // down to three quarters of the capacity, not by the excess with every push (each drop copies the array)
    const excess = this.entries.length - (this.capacity - (this.capacity >> 2));
    this.floor = this.entries[excess - 1].entry[0];
    this.entries = this.entries.slice(excess);
  }

  /**
   * The entries after `cursor` (`entries` from index `from` on; the array is the window's own, not a
   * copy: read it before anything else is pushed), or undefined when the window does not cover it.
   */
  after(cursor: string): { entries: readonly RecentEntry[]; from: number } | undefined {
    if (this.floor === undefined || compareCursors(cursor, this.floor) < 0) return undefined;
    const { entries } = this;
    // binary search for the first entry after the cursor
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCursors(entries[mid].entry[0], cursor) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return { entries, from: lo };
  }
}

/**
 * The URIs of an entry's `u` field, split afresh for each entry: a handful of strings that die with the
 * window's entry. (A cache by `u` missed for every post, whose thread URI is its own, and its entries
 * lived until the cache was cleared, about a second: long enough to be promoted, notes item 19.)
 */
function urisOf(fields: string[]): readonly string[] | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'u') continue;
    const u = fields[i + 1];
    return u ? u.split(' ') : [];
  }
  return undefined;
}
