/**
 * Channel offset writes off the ingest's critical path: the batcher's send
 * only enqueues, then hands the batch's offsets here. One write is in flight
 * at a time; offsets handed over meanwhile are merged (the newest time per
 * channel) into the next write, so writes stay in order and never move an
 * offset back. Offsets are only handed over after their events were
 * enqueued, so an offset never runs ahead of the queues. A failed write is
 * retried (merged with newer offsets); until it succeeds a crash only makes
 * the next leader re-fetch (and de-duplicate) a little more. Writes start at
 * most every `minIntervalMs` (one Redis command per interval, not per batch:
 * it was one of the half-dozen commands every ingest batch paid); an offset
 * that lags by that much costs a re-fetch of those posts after a crash, never
 * a loss.
 */
import type { Logger } from '../../logging/logger';

export type OffsetSink = (offsets: Map<string, number>) => Promise<void>;

export class OffsetWriter {
  private pending = new Map<string, number>();
  private running: Promise<void> | undefined;
  private failures = 0;
  private closed = false;

  private lastWriteAt = -Infinity;

  constructor(
    private readonly write: OffsetSink,
    private readonly log: Logger,
    private readonly retryBaseMs = 50,
    private readonly minIntervalMs = 0,
  ) {}

  /** Offsets waiting for a write (including a failed one). */
  get size(): number {
    return this.pending.size;
  }

  /** Queues offsets for the next write (no await: the caller goes on with the next batch). */
  push(offsets: Map<string, number>): void {
    for (const [id, at] of offsets) {
      const cur = this.pending.get(id);
      if (cur === undefined || at > cur) this.pending.set(id, at);
    }
    if (!this.running && this.pending.size > 0 && !this.closed) this.running = this.loop();
  }

  /** Resolves once everything pushed so far was written (or the writer was closed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops retrying; unwritten offsets are left behind (the next leader re-fetches from the older ones). */
  close(): void {
    this.closed = true;
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending.size > 0 && !this.closed) {
        const wait = this.lastWriteAt + this.minIntervalMs - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait)); // offsets pushed meanwhile join this write
        if (this.closed) break;
        this.lastWriteAt = Date.now();
        const batch = this.pending;
        this.pending = new Map();
        try {
          await this.write(batch);
          this.failures = 0;
        } catch (err) {
          // put them back under anything newer that arrived meanwhile
          for (const [id, at] of batch) {
            const cur = this.pending.get(id);
            if (cur === undefined || at > cur) this.pending.set(id, at);
          }
          this.failures++;
          const delay = Math.min(5000, this.retryBaseMs * 2 ** Math.min(this.failures - 1, 7));
          this.log.warn(
            { err: (err as Error).message, channels: batch.size, retryInMs: delay },
            'writing channel offsets failed; retrying',
          );
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
