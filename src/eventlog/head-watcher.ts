/**
 * One blocking XREAD per process on the firehose: it learns the newest cursor
 * as soon as anything is appended and wakes every waiter whose cursor is
 * behind it. Waiters (waitFor, tail) then read with the normal connection, so
 * any number of concurrent waits cost one blocking connection.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';
import { ZERO_CURSOR, compareCursors, maxCursor } from './cursor';

interface Waiter {
  after: string;
  wake: (woken: boolean) => void;
}

export class HeadWatcher {
  private conn?: Redis;
  private last = ZERO_CURSOR;
  private started?: Promise<void>;
  private closed = false;
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly redis: Redis,
    private readonly firehoseKey: string,
    private readonly log?: Logger,
    /** Longest single XREAD BLOCK; close() does not wait for it (it disconnects). */
    private readonly blockMs = 10_000,
  ) {}

  /**
   * Resolves true once the firehose holds an entry after `after`, false at the
   * deadline, on abort or on close. Resolves at once when it already does.
   */
  async waitBeyond(after: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
    if (this.closed || signal?.aborted) return false;
    await this.start();
    if (this.closed || signal?.aborted) return false;
    if (compareCursors(this.last, after) > 0) return true;
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        after,
        wake: (woken) => {
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

  private start(): Promise<void> {
    if (!this.started) {
      this.started = (async () => {
        const head = await this.redis.xrevrange(this.firehoseKey, '+', '-', 'COUNT', 1);
        this.last = head[0]?.[0] ?? ZERO_CURSOR;
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
        const res = await conn.xread('COUNT', 1, 'BLOCK', this.blockMs, 'STREAMS', this.firehoseKey, this.last);
        if (!res || this.closed) continue;
        const head = await conn.xrevrange(this.firehoseKey, '+', '-', 'COUNT', 1);
        const newest = head[0]?.[0] ?? res[0][1][0][0];
        this.last = maxCursor(this.last, newest);
        this.notify();
      } catch (err) {
        if (this.closed) break;
        this.log?.warn({ err: (err as Error).message }, 'event log watcher: XREAD failed, retrying');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) if (compareCursors(this.last, w.after) > 0) w.wake(true);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) w.wake(false);
    await this.started?.catch(() => undefined);
    this.conn?.disconnect();
  }
}
