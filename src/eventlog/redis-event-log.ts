/**
 * The event log in Redis Streams (see docs/event-pipeline.md): a firehose
 * stream plus one stream per resource URI, every update under the same entry
 * id in each, appended idempotently by one Lua script per batch.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';
import type { RedisKeys } from '../redis/keys';
import type { NewUpdate, UpdateRecord } from '../updates/record';
import { URIS } from '../updates/uris';
import { APPEND_SCRIPT } from './append-script';
import { READ_PAGE_SCRIPT } from './read-script';
import { ZERO_CURSOR, compareCursors, cursorTime, maxCursor, normalizeCursor } from './cursor';
import { HeadWatcher } from './head-watcher';
import {
  CursorExpiredError,
  type EventFilter,
  type AppendResult,
  type EventLogReader,
  type EventLogWriter,
  type ReadOptions,
  type ReadResult,
  type WaitOptions,
} from './types';

export const MAX_READ_LIMIT = 1000;
/** Updates one script call appends: bounds how long Redis is busy with one batch. */
const APPEND_CHUNK = 200;
/** Entries one read() examines at most when filters reject most of them; the cursor still advances. */
const SCAN_BUDGET = 5000;
/**
 * Newest firehose entries held in memory for reads (HeadWatcher, RecentEntries): enough for the
 * fan-out and waiters that keep up (a few entries behind at 1,000 posts/s). An entry held across two
 * young-generation collections is promoted to the old generation: 500 (0.4 s at 1,000 posts/s) made a
 * quarter of what the bridge promoted (bench notes, item 14); 2,000 cost 20 MB.
 */
const RECENT_WINDOW = 64;
/** Reads from memory only for cursors younger than the retention age by this much (see readRecent). */
const RECENT_AGE_MARGIN_MS = 60_000;

export interface EventLogOptions {
  redis: Redis;
  keys: RedisKeys;
  /** BRIDGE_RETENTION_AGE: entries older are trimmed; also the TTL of dedup keys. */
  retentionMs: number;
  /** BRIDGE_RETENTION_MAXLEN: entries kept per stream (approximately, never fewer). */
  maxLen: number;
  /** Newest firehose entries held in memory for reads (default 64; at most maxLen / 2; 0: none). */
  recentWindow?: number;
  log?: Logger;
}

type StreamEntry = [id: string, fields: string[]];

interface Filter {
  types?: Set<string>;
  channels?: Set<string>;
  accept?: (update: UpdateRecord) => boolean;
}

export class RedisEventLog implements EventLogReader, EventLogWriter {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly firehose: string;
  private readonly watcher: HeadWatcher;
  /** Reads with a cursor answered from the head watcher's window, and from Redis. */
  readonly reads = { memory: 0, redis: 0 };

  /** Entries the head watcher took from this log's own appends (offered) and from its XREAD. */
  get watcherTaken(): { offered: number; read: number } {
    return this.watcher.taken;
  }

  constructor(private readonly options: EventLogOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.firehose = options.keys.logStream(URIS.events);
    // at most half the length limit: a cursor inside the window then has no trimmed entry after it in any stream
    const window = Math.min(options.recentWindow ?? RECENT_WINDOW, Math.floor(options.maxLen / 2));
    this.watcher = new HeadWatcher(options.redis, this.firehose, options.log, undefined, window);
  }

  // ---------------------------------------------------------------- write

  async append(updates: NewUpdate[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (let i = 0; i < updates.length; i += APPEND_CHUNK) {
      results.push(...(await this.appendChunk(updates.slice(i, i + APPEND_CHUNK))));
    }
    return results;
  }

  private async appendChunk(updates: NewUpdate[]): Promise<AppendResult[]> {
    if (updates.length === 0) return [];
    const keys: string[] = [this.firehose, this.keys.logTrimmed(URIS.events)];
    const args: (string | number)[] = [this.options.retentionMs, this.options.maxLen, updates.length];
    /** Each update's firehose entry fields, as the script writes them (handed to the head watcher). */
    const fields: string[][] = [];
    for (const u of updates) {
      const streams = [...new Set(u.uris)].filter((uri) => uri !== URIS.events);
      keys.push(this.keys.dedup(u.eventId));
      for (const uri of streams) keys.push(this.keys.logStream(uri), this.keys.logTrimmed(uri));
      const f = ['t', u.type, 'c', u.channelId ?? '', 'r', JSON.stringify(storedRecord(u)), 'u', streams.join(' ')];
      fields.push(f);
      args.push(f[1], f[3], f[5], f[7], streams.length);
    }
    const out = (await APPEND_SCRIPT.run(this.redis, keys, args)) as (string | number)[];
    const added: [id: string, fields: string[]][] = [];
    const results = updates.map((u, i) => {
      const cursor = String(out[2 * i]);
      const duplicate = out[2 * i + 1] === 1;
      if (!duplicate) added.push([cursor, fields[i]]);
      return { eventId: u.eventId, cursor, duplicate };
    });
    if (added.length > 0) this.watcher.offer(String(out[2 * updates.length]), added);
    return results;
  }

  // ---------------------------------------------------------------- read

  async head(stream: string = URIS.events): Promise<string> {
    const last = await this.redis.xrevrange(this.keys.logStream(stream), '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? ZERO_CURSOR;
  }

  async read(options: ReadOptions): Promise<ReadResult> {
    const limit = checkLimit(options.limit);
    const uris = options.streams?.length ? [...new Set(options.streams)] : [URIS.events];
    const filter = toFilter(options);
    if (options.after === undefined) return this.readLatest(uris, filter, limit);
    const after = normalizeCursor(options.after);
    const recent = this.readRecent(uris, filter, limit, after);
    if (recent) {
      this.reads.memory++;
      return recent;
    }
    this.reads.redis++;
    return this.readAfter(uris, filter, limit, after);
  }

  /**
   * The same answer as `readAfter` as of the newest entry the head watcher read, from its window;
   * undefined when the window cannot give it. The cursor must be inside the window (at most half
   * the length limit behind the head, so no stream trimmed an entry after it) and well younger than
   * the retention age (nothing after it trimmed by age), so it cannot be expired; a resource stream
   * needs every entry to name its streams.
   */
  private readRecent(uris: string[], filter: Filter, limit: number, after: string): ReadResult | undefined {
    if (after === ZERO_CURSOR || cursorTime(after) < Date.now() - this.options.retentionMs + RECENT_AGE_MARGIN_MS) {
      return undefined;
    }
    const view = this.watcher.recentAfter(after);
    if (!view) return undefined;
    const all = uris.includes(URIS.events);
    const updates: UpdateRecord[] = [];
    for (let i = view.from; i < view.entries.length; i++) {
      const e = view.entries[i];
      if (!all) {
        if (!e.uris) return undefined;
        if (!uris.some((uri) => e.uris!.includes(uri))) continue;
      }
      const update = decode(e.entry, filter);
      if (update) {
        updates.push(update);
        if (updates.length === limit) return { updates, nextCursor: e.entry[0] };
      }
    }
    return { updates, nextCursor: maxCursor(view.head, after) };
  }

  private async readAfter(uris: string[], filter: Filter, limit: number, after: string): Promise<ReadResult> {
    const page = pageSize(limit, filter);
    const updates: UpdateRecord[] = [];
    let cursor = after;
    let scanned = 0;
    let first = true;
    while (true) {
      const checkExpiry = first && after !== ZERO_CURSOR;
      const res = await this.readPage(uris, 'asc', `(${cursor}`, page, checkExpiry, true);
      if (checkExpiry) {
        res.expiry.forEach(([watermark, exists]) => this.checkExpired(after, watermark, exists));
      }
      const head = res.head ?? ZERO_CURSOR;
      const pages = res.pages;
      first = false;

      // Only entries up to the smallest last id of a full page are complete across streams.
      let boundary: string | undefined;
      for (const p of pages) {
        if (p.length === page) {
          const last = p[p.length - 1][0];
          if (!boundary || compareCursors(last, boundary) < 0) boundary = last;
        }
      }
      const merged = mergeEntries(pages, boundary, 'asc');
      for (const entry of merged) {
        scanned++;
        const update = decode(entry, filter);
        if (update) {
          updates.push(update);
          if (updates.length === limit) return { updates, nextCursor: entry[0] };
        }
      }
      if (!boundary) {
        // Every stream is read to its end as of `head` (same script call): nothing at or before it can still appear.
        const lastSeen = merged.length ? merged[merged.length - 1][0] : cursor;
        return { updates, nextCursor: maxCursor(maxCursor(lastSeen, head), after) };
      }
      cursor = boundary;
      if (scanned >= SCAN_BUDGET) return { updates, nextCursor: cursor };
    }
  }

  /** The most recent `limit` matching updates, oldest first; the next cursor is the log's head. */
  private async readLatest(uris: string[], filter: Filter, limit: number): Promise<ReadResult> {
    const page = pageSize(limit, filter);
    const newestFirst: UpdateRecord[] = [];
    let upper = '+';
    let head = ZERO_CURSOR;
    let scanned = 0;
    let first = true;
    while (true) {
      const res = await this.readPage(uris, 'desc', upper, page, false, first);
      if (first) head = res.head ?? ZERO_CURSOR;
      first = false;
      const pages = res.pages;
      let boundary: string | undefined;
      for (const p of pages) {
        if (p.length === page) {
          const oldest = p[p.length - 1][0];
          if (!boundary || compareCursors(oldest, boundary) > 0) boundary = oldest;
        }
      }
      for (const entry of mergeEntries(pages, boundary, 'desc')) {
        scanned++;
        const update = decode(entry, filter);
        if (update) {
          newestFirst.push(update);
          if (newestFirst.length === limit) break;
        }
      }
      if (newestFirst.length === limit || !boundary || scanned >= SCAN_BUDGET) break;
      upper = `(${boundary}`;
    }
    const nextCursor = newestFirst.length ? maxCursor(head, newestFirst[0].cursor) : head;
    return { updates: newestFirst.reverse(), nextCursor };
  }

  /** One page of each stream (and, as asked, the expiry facts and the head) in one script call. */
  private async readPage(
    uris: string[],
    direction: 'asc' | 'desc',
    bound: string,
    page: number,
    checkExpiry: boolean,
    withHead: boolean,
  ): Promise<{ expiry: [watermark: string | null, exists: boolean][]; head?: string; pages: StreamEntry[][] }> {
    const keys = [this.firehose];
    for (const uri of uris) keys.push(this.keys.logStream(uri), this.keys.logTrimmed(uri));
    const flags = [direction, bound, page, checkExpiry ? '1' : '0', withHead ? '1' : '0'];
    const out = (await READ_PAGE_SCRIPT.run(this.redis, keys, flags)) as unknown[];
    let i = 0;
    const expiry: [string | null, boolean][] = [];
    if (checkExpiry)
      for (; expiry.length < uris.length; i += 2) expiry.push([out[i] as string | null, out[i + 1] === 1]);
    const head = withHead ? (out[i++] as string) : undefined;
    return { expiry, head, pages: out.slice(i) as StreamEntry[][] };
  }

  /**
   * A cursor is expired when entries after it were trimmed away: it is below
   * the stream's watermark (the newest trimmed id, kept by the append script).
   * A stream that does not exist (never written, or a resource stream whose TTL
   * ran out with its watermark) only rejects cursors older than the retention age.
   */
  private checkExpired(cursor: string, watermark: string | null, exists: boolean): void {
    if (watermark) {
      if (compareCursors(cursor, watermark) < 0) throw new CursorExpiredError(cursor, watermark);
      return;
    }
    if (exists) return;
    const floorMs = Date.now() - this.options.retentionMs;
    if (cursorTime(cursor) < floorMs) throw new CursorExpiredError(cursor, `${floorMs}-0`);
  }

  // ---------------------------------------------------------------- wait

  async waitFor(options: WaitOptions): Promise<ReadResult> {
    const deadline = Date.now() + Math.max(0, options.timeoutMs);
    let cursor = options.after === undefined ? await this.head() : normalizeCursor(options.after);
    const readOptions: ReadOptions = { ...options, after: cursor };
    while (true) {
      const res = await this.read({ ...readOptions, after: cursor });
      if (res.updates.length) return res;
      cursor = res.nextCursor;
      if (options.signal?.aborted || Date.now() >= deadline) return res;
      const woken = await this.watcher.waitBeyond(cursor, deadline, options.signal, 'next-turn');
      if (!woken) return { updates: [], nextCursor: cursor };
    }
  }

  /**
   * Starts the head watcher now instead of at the first wait or tail, so that this process's appends and
   * reads use the window from then on. Resolves once it follows the firehose.
   */
  watch(): Promise<void> {
    return this.watcher.start();
  }

  async *tail(signal: AbortSignal, after?: string): AsyncGenerator<UpdateRecord> {
    let cursor = after === undefined ? await this.head() : normalizeCursor(after);
    while (!signal.aborted) {
      if (!(await this.watcher.waitBeyond(cursor, Infinity, signal, 'now'))) return;
      while (!signal.aborted) {
        let res: ReadResult;
        try {
          res = await this.read({ after: cursor, limit: MAX_READ_LIMIT });
        } catch (err) {
          if (!(err instanceof CursorExpiredError)) throw err;
          this.options.log?.warn(
            { cursor, oldest: err.oldest },
            'event log tail fell behind the retention; skipping ahead',
          );
          cursor = err.oldest;
          continue;
        }
        for (const u of res.updates) {
          if (signal.aborted) return;
          yield u;
        }
        cursor = res.nextCursor;
        if (res.updates.length < MAX_READ_LIMIT) break;
      }
    }
  }

  /** Stops the blocking watcher connection; pending waits resolve empty. The shared connection stays open. */
  async close(): Promise<void> {
    await this.watcher.close();
  }
}

function storedRecord(u: NewUpdate): Omit<UpdateRecord, 'cursor'> {
  const { uris: _uris, ...record } = u;
  return record;
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a whole number from 1 to ${MAX_READ_LIMIT}`);
  return Math.min(limit, MAX_READ_LIMIT);
}

function toFilter(f: EventFilter): Filter {
  return {
    types: f.types?.length ? new Set(f.types) : undefined,
    channels: f.channels?.length ? new Set(f.channels) : undefined,
    accept: f.accept,
  };
}

function pageSize(limit: number, filter: Filter): number {
  const filtered = filter.types || filter.channels || filter.accept;
  return filtered ? Math.min(Math.max(limit * 4, 100), 1000) : limit;
}

/** Merges pages of several streams in order, keeps entries up to the boundary, and drops repeats of one id. */
function mergeEntries(pages: StreamEntry[][], boundary: string | undefined, order: 'asc' | 'desc'): StreamEntry[] {
  const sign = order === 'asc' ? 1 : -1;
  const all = pages.length === 1 ? pages[0] : pages.flat().sort((a, b) => sign * compareCursors(a[0], b[0]));
  const out: StreamEntry[] = [];
  for (const e of all) {
    if (boundary && sign * compareCursors(e[0], boundary) > 0) break;
    if (out.length && out[out.length - 1][0] === e[0]) continue;
    out.push(e);
  }
  return out;
}

function decode(entry: StreamEntry, filter: Filter): UpdateRecord | undefined {
  const [id, fields] = entry;
  let type = '';
  let channel = '';
  let json = '';
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 't') type = fields[i + 1];
    else if (fields[i] === 'c') channel = fields[i + 1];
    else if (fields[i] === 'r') json = fields[i + 1];
  }
  if (filter.types && !filter.types.has(type)) return undefined;
  if (filter.channels && !filter.channels.has(channel)) return undefined;
  let update: UpdateRecord;
  try {
    update = { cursor: id, ...(JSON.parse(json) as Omit<UpdateRecord, 'cursor'>) };
  } catch {
    return undefined;
  }
  if (filter.accept && !filter.accept(update)) return undefined;
  return update;
}
