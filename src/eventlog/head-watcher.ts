/**
 * One blocking XREAD per process on the firehose: it reads every entry as
 * soon as it is appended, keeps the newest in a window (`RecentEntries`) that
 * reads inside it are answered from, and wakes every waiter whose cursor is
 * behind the newest. Any number of concurrent waits cost one blocking
 * connection, and the fan-out and the waiters woken by a new entry read it
 * from memory instead of each asking Redis.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';
import { ZERO_CURSOR, compareCursors } from './cursor';
import { RecentEntries, type RecentEntry } from './recent-entries';

/** Entries one XREAD returns at most (more follow at once, without blocking). */
const READ_COUNT = 500;

/**
 * When a waiter is woken once the log moves past its cursor: `now`, or on the `next-turn` (a
 * `setImmediate` after the entries were taken). The fan-out's tail waits `now`: its notifications are
 * a URI each and the live path. Long polls (`waitFor`) wait for the next turn, so that the push
 * notifications leave before the long-poll answers are rendered and written (bench notes, item 22:
 * the notification's lag behind the log about 0.37 ms shorter at p50 at 1,000 posts/s).
 */
export type WakeOrder = 'now' | 'next-turn';

interface Waiter {
  after: string;
  order: WakeOrder;
  wake: (woken: boolean) => void;
}

export class HeadWatcher {
  private conn?: Redis;
  private last = ZERO_CURSOR;
  private started?: Promise<void>;
  private closed = false;
  private readonly waiters = new Set<Waiter>();
  private readonly recent: RecentEntries;
  /** Entries taken from this process's appends (offer) and from the XREAD. */
  readonly taken = { offered: 0, read: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly firehoseKey: string,
    private readonly log?: Logger,
    /** Longest single XREAD BLOCK; close() does not wait for it (it disconnects). */
    private readonly blockMs = 10_000,
    /** Newest entries kept in memory for reads (0: none). */
    recentCapacity = 0,
  ) {
    this.recent = new RecentEntries(recentCapacity);
  }

  /**
   * The entries after `cursor` up to the newest this watcher has read, and that newest id; undefined
   * when the window does not cover the cursor (not started, too old, or beyond what was read here).
   */
  recentAfter(cursor: string): { entries: readonly RecentEntry[]; from: number; head: string } | undefined {
    if (!this.started || compareCursors(cursor, this.last) > 0) return undefined;
    const view = this.recent.after(cursor);
    return view && { ...view, head: this.last };
  }

  /**
   * Resolves true once the firehose holds an entry after `after`, false at the
   * deadline, on abort or on close. Resolves at once when it already does.
   */
  async waitBeyond(after: string, deadline: number, signal?: AbortSignal, order: WakeOrder = 'now'): Promise<boolean> {
    if (this.closed || signal?.aborted) return false;
    await this.start();
    if (this.closed || signal?.aborted) return false;
    if (compareCursors(this.last, after) > 0) return true;
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const waiter: Waiter = {
        after,
        order,
        // once: a waiter woken on the next turn may meanwhile time out, be aborted or closed
        wake: (woken) => {
          if (done) return;
          done = true;
          this.waiters.delete(waiter);
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(woken);
        },
      };
      const onAbort = () => waiter.wake(false);
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(deadline)) timer = setTimeout(() => waiter.wake(false), Math.max(0, deadline - Date.now()));
    });
  }

  /** Starts reading the firehose from its newest entry (the first wait does it otherwise); idempotent. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = (async () => {
        const head = await this.redis.xrevrange(this.firehoseKey, '+', '-', 'COUNT', 1);
        this.last = head[0]?.[0] ?? ZERO_CURSOR;
        this.recent.reset(this.last);
        this.conn = this.redis.duplicate();
        void this.loop(this.conn);
      })();
      // a failed start (Redis down) may be retried by the next waiter
      this.started.catch(() => (this.started = undefined));
    }
    return this.started;
  }

  private async loop(conn: Redis): Promise<void> {
    while (!this.closed) {
      try {
        // from the newest entry read: the window stays contiguous, and a full page is followed at once
        const res = await conn.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          this.firehoseKey,
          this.last,
        );
        let entries = res?.[0]?.[1];
        if (!entries?.length || this.closed) continue;
        // some may have been offered by this process's own append already
        if (compareCursors(entries[0][0], this.last) <= 0)
          entries = entries.filter(([id]) => compareCursors(id, this.last) > 0);
        if (entries.length === 0) continue;
        this.taken.read += entries.length;
        this.take(entries);
      } catch (err) {
        if (this.closed) break;
        this.log?.warn({ err: (err as Error).message }, 'event log watcher: XREAD failed, retrying');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /**
   * Entries this process just appended, which directly follow `before` in the firehose (the append
   * script read both atomically): when `before` is the newest entry read here, they are taken at once,
   * without waiting for the XREAD to return them (it still does; the loop skips what it has). Anything
   * else (an entry of another process in between, the loop not yet reading) is left to the XREAD.
   */
  offer(before: string, entries: [id: string, fields: string[]][]): void {
    // no connection yet: the loop is not reading, `last` is not the newest entry read
    if (!this.conn || this.closed || entries.length === 0 || before !== this.last) return;
    this.taken.offered += entries.length;
    this.take(entries);
  }

  private take(entries: [id: string, fields: string[]][]): void {
    this.recent.push(entries);
    this.last = entries[entries.length - 1][0];
    this.notify();
  }

  private notify(): void {
    let later: Waiter[] | undefined;
    for (const w of [...this.waiters]) {
      if (compareCursors(this.last, w.after) <= 0) continue;
      if (w.order === 'now') w.wake(true);
      else (later ??= []).push(w);
    }
    if (later) {
      const woken = later;
      setImmediate(() => {
        for (const w of woken) w.wake(true);
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) w.wake(false);
    await this.started?.catch(() => undefined);
    this.conn?.disconnect();
  }
}
