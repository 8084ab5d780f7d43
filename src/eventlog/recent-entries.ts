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

export type RecentEntry = {
  id: string;
  type: string;
  channel: string;
  /** Resource stream URIs of the entry; undefined when the entry did not say. */
  uris?: ReadonlySet<string>;
  json: string;
};

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
    for (const [id, fields] of raw) this.entries.push(fromFields(id, fields));
    const excess = this.entries.length - this.capacity;
    if (excess > 0) {
      this.floor = this.entries[excess - 1].id;
      this.entries = this.entries.slice(excess);
    }
  }

  /** The entries after `cursor`, or undefined when the window does not cover it. */
  after(cursor: string): RecentEntry[] | undefined {
    if (this.floor === undefined || compareCursors(cursor, this.floor) < 0) return undefined;
    const { entries } = this;
    // binary search for the first entry after the cursor
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCursors(entries[mid].id, cursor) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return entries.slice(lo);
  }

  get size(): number {
    return this.entries.length;
  }
}

function fromFields(id: string, fields: string[]): RecentEntry {
  const e: RecentEntry = { id, type: '', channel: '', json: '' };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const v = fields[i + 1];
    if (fields[i] === 't') e.type = v;
    else if (fields[i] === 'c') e.channel = v;
    else if (fields[i] === 'r') e.json = v;
    else if (fields[i] === 'u') e.uris = new Set(v ? v.split(' ') : []);
  }
  return e;
}
