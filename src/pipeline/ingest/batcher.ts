/**
 * The ingest's micro-batcher: the socket handler only `push`es (no await, no
 * I/O); one flush loop sends what accumulated while the previous send was in
 * flight, so batches grow with load and order is kept. Events of different
 * WebSocket connections never share a batch (the connection id is part of
 * some event ids). A failed send is retried with backoff, never dropped.
 * `pause()` holds events back (while a catch-up enqueues what was missed
 * before them) without blocking `push`.
 *
 * Under load a send waits until `ready` says the jobs of the previous sends
 * have started and appended (EventQueues.starts), or at most `minIntervalMs` after the
 * previous send began. An enqueue is quick (~2 ms), so back-to-back sends
 * would carry one or two events each while every job a partition worker runs
 * costs several BullMQ round trips whatever its size — the queues then fall
 * behind (benchmark: 1.8 events per job at 1,000 posts/s, hundreds of ms in
 * queue). Waiting for the workers instead makes batches grow just as fast as
 * they fall behind. After an idle spell the first send goes out at once, so a
 * lone event is not delayed.
 */
import type { Logger } from '../../logging/logger';

export interface BatchMeta {
  connectionId?: string;
  /** Epoch ms the first event of the batch was received. */
  receivedAt: number;
}

export type BatchSender = (events: unknown[], meta: BatchMeta) => Promise<void>;

export interface MicroBatcherOptions {
  send: BatchSender;
  log: Logger;
  /** Events per send at most (default 2000). */
  maxBatch?: number;
  /** While paused, more buffered events than this resume sending anyway (default 100,000). */
  maxPausedEvents?: number;
  /** First retry delay after a failed send; doubles up to 5 s (default 50 ms). */
  retryBaseMs?: number;
  /** Longest hold between the starts of two sends; an earlier send after idle is not held (default 20 ms). */
  minIntervalMs?: number;
  /** Resolves true once the previous sends' work was taken up (the hold ends early), false after `timeoutMs`. */
  ready?: (timeoutMs: number) => Promise<boolean>;
}

interface Segment extends BatchMeta {
  events: unknown[];
}

export class MicroBatcher {
  private readonly segments: Segment[] = [];
  private buffered = 0;
  private running: Promise<void> | undefined;
  private scheduled = false;
  private pauses = 0;
  private idle: (() => void)[] = [];
  private failures = 0;
  private closed = false;
  private lastSendAt = 0;

  constructor(private readonly options: MicroBatcherOptions) {}

  /** Events waiting to be sent. */
  get size(): number {
    return this.buffered;
  }

  get paused(): boolean {
    return this.pauses > 0 && this.buffered <= (this.options.maxPausedEvents ?? 100_000);
  }

  push(event: unknown, connectionId?: string): void {
    const last = this.segments[this.segments.length - 1];
    if (last && last.connectionId === connectionId) last.events.push(event);
    else this.segments.push({ connectionId, receivedAt: Date.now(), events: [event] });
    this.buffered++;
    this.kick();
  }

  /** Holds sending until the matching `resume()` (pauses nest). */
  pause(): void {
    this.pauses++;
  }

  resume(): void {
    if (this.pauses > 0) this.pauses--;
    this.kick();
  }

  /** Resolves once everything pushed so far was sent (ignores pauses when `force`). */
  async drain(force = false): Promise<void> {
    if (force) this.pauses = 0;
    this.kick();
    while (this.buffered > 0 || this.running) {
      if (this.closed || (this.paused && !this.running)) return;
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }

  /** Stops retrying; what is still buffered is dropped (the offsets were not advanced for it). */
  close(): void {
    this.closed = true;
    for (const wake of this.idle.splice(0)) wake();
  }

  private kick(): void {
    if (this.running || this.scheduled || this.closed) return;
    this.scheduled = true;
    // setImmediate: events arriving in the same I/O turn go out together
    setImmediate(() => {
      this.scheduled = false;
      if (this.running || this.paused || this.buffered === 0) {
        this.wakeIdle();
        return;
      }
      this.running = this.loop().finally(() => {
        this.running = undefined;
        this.wakeIdle();
        if (this.buffered > 0 && !this.paused) this.kick();
      });
    });
  }

  private wakeIdle(): void {
    for (const wake of this.idle.splice(0)) wake();
  }

  private async loop(): Promise<void> {
    const max = this.options.maxBatch ?? 2000;
    const interval = this.options.minIntervalMs ?? 20;
    while (!this.closed && this.segments.length > 0 && !this.paused) {
      // busy: let the next batch accumulate until the workers took the last one (or a batch is full)
      const wait = this.lastSendAt + interval - Date.now();
      if (wait > 0 && this.buffered < max) {
        const { ready } = this.options;
        const taken = ready ? await ready(wait) : await new Promise<false>((r) => setTimeout(() => r(false), wait));
        if (!taken || this.closed || this.paused) continue;
      }
      this.lastSendAt = Date.now();
      // Take the events out first: pushes during the send go to a later segment.
      const seg = this.segments[0];
      const events = seg.events.splice(0, max);
      const meta: BatchMeta = { connectionId: seg.connectionId, receivedAt: seg.receivedAt };
      if (seg.events.length === 0) this.segments.shift();
      try {
        await this.options.send(events, meta);
        this.failures = 0;
      } catch (err) {
        this.segments.unshift({ ...meta, events });
        this.failures++;
        const delay = Math.min(5000, (this.options.retryBaseMs ?? 50) * 2 ** Math.min(this.failures - 1, 7));
        this.options.log.warn(
          { err: (err as Error).message, events: events.length, retryInMs: delay },
          'enqueueing a WebSocket batch failed; retrying',
        );
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      this.buffered -= events.length;
      this.wakeIdle();
    }
  }
}
