/**
 * A session's pending `notifications/resources/updated`, coalesced per URI.
 *
 * Memory stays bounded whatever the client does: at most one pending entry
 * per subscribed URI (subscriptions are capped), and nothing is handed to the
 * transport while the client's stream is blocked (its socket buffer is full).
 * A stream that stays blocked longer than `maxBlockedMs` gets the session
 * closed through `onStalled`.
 *
 * What is pending goes out together (one event-store round trip and one
 * socket write for all of it, see event-store.ts and node-adapter.ts); such
 * sends are serialized, and `exclusive()` holds them back while a stream is
 * (re)attached, so a notification is never stored after a replay has read the
 * event store but before the resumed stream is live.
 */
export interface OutboxOptions {
  /** Sends one notification; returns nothing when it was sent at once (DirectSse), else when it is done. */
  send: (uri: string) => Promise<void> | undefined;
  /** True while the client's stream cannot take more bytes. */
  isBlocked: () => boolean;
  onStalled: (blockedMs: number) => void;
  onError: (err: unknown) => void;
  maxBlockedMs: number;
  /** How often a blocked stream is re-checked. */
  pollMs?: number;
}

export class Outbox {
  private readonly pending = new Set<string>();
  private draining = false;
  private holds = 0;
  private lock: Promise<void> = Promise.resolve();
  /** Sends and exclusive sections in the lock, queued or running. */
  private locks = 0;
  private blockedSince?: number;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  /** Notifications merged into one already pending for the same URI. */
  coalesced = 0;

  constructor(private readonly opts: OutboxOptions) {}

  get size(): number {
    return this.pending.size;
  }

  notify(uri: string): void {
    if (this.closed) return;
    if (this.pending.has(uri)) this.coalesced++;
    else this.pending.add(uri);
    if (!this.draining) void this.drain();
  }

  /** Runs `fn` with no notification sent meanwhile (used when a stream is attached). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await this.locked(fn);
    } finally {
      this.holds--;
      void this.drain();
    }
  }

  /** A mutex: sends and exclusive sections run one after the other, in call order. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    this.locks++;
    const run = this.lock.then(fn);
    const done = () => void this.locks--;
    this.lock = run.then(done, done);
    return run;
  }

  /** One send; a failure goes to onError. Undefined when it is done already. */
  private sendOne(uri: string): Promise<void> | undefined {
    try {
      return this.opts.send(uri)?.catch((err: unknown) => this.opts.onError(err));
    } catch (err) {
      this.opts.onError(err);
      return undefined;
    }
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, this.opts.pollMs ?? 100);
    this.retryTimer.unref();
  }

  private async drain(): Promise<void> {
    if (this.draining || this.closed || this.holds > 0) return;
    this.draining = true;
    try {
      while (this.pending.size && !this.closed && this.holds === 0) {
        if (this.opts.isBlocked()) {
          const now = Date.now();
          this.blockedSince ??= now;
          if (now - this.blockedSince >= this.opts.maxBlockedMs) {
            this.opts.onStalled(now - this.blockedSince);
            return;
          }
          this.scheduleRetry();
          return;
        }
        this.blockedSince = undefined;
        const uris = [...this.pending];
        this.pending.clear();
        if (this.locks === 0) {
          // nothing ahead in the lock: sends that are done at once need no turn of it
          const later: Promise<void>[] = [];
          for (const uri of uris) {
            const p = this.sendOne(uri);
            if (p) later.push(p);
          }
          if (later.length) await this.locked(() => Promise.all(later));
        } else {
          await this.locked(() => Promise.all(uris.map((uri) => this.sendOne(uri))));
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
